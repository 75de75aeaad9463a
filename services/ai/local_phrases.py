"""Sentence templates of the local article writer, by the kind of section they suit.

Slots: {kw} a keyword (or the subject of a question keyword), {Kw} the same capitalised,
{topic} the article's primary keyword (its subject when it is a question), {q} a question
keyword. A keyword is never the grammatical subject of a verb, because its number is unknown
("shoes is" would read badly). The templates give practical, neutral advice and make no factual
claims: the local provider cannot check facts and must not pretend to have tested anything.
"""

from __future__ import annotations

GENERAL = (
    "Getting {kw} right is easier when you start from what you actually need rather than from "
    "what is popular.",
    "Most people who look into {kw} want a clear answer, not a long list of options.",
    "A useful way to think about {kw} is to separate what matters every time from what only "
    "matters occasionally.",
    "The details of {kw} vary from person to person, so treat any general advice as a starting "
    "point.",
    "It pays to be specific: the more clearly you can describe your situation, the easier it is "
    "to decide about {kw}.",
    "Small choices around {kw} add up over time, which is why a consistent approach works better "
    "than a perfect one.",
    "If you are new to {topic}, focus on the fundamentals first and refine the rest later.",
    "Experienced readers will recognise that patience pays off with {kw} more than shortcuts do.",
    "There is rarely a single right answer for {kw}; there is usually a right answer for you.",
    "Before committing, compare at least two or three options for {kw} side by side.",
    "Write down what you want from {kw}, and use that list to judge every option you consider.",
    "Cost is only one part of the picture: how well {kw} fits your routine matters just as much.",
    "A common pattern is to overthink {kw} at the start and underthink it later on.",
    "Keep notes as you go, because what works for {kw} today may need adjusting in a few months.",
    "Ask yourself how often you will rely on {kw}, since that changes which trade-offs are worth "
    "making.",
    "Good decisions about {kw} usually come from a mix of research and a little hands-on "
    "experience.",
    "When in doubt, choose the simpler option for {kw} and build from there.",
    "It helps to check what others in a similar situation have found useful with {kw}.",
    "Understanding {kw} is close to the heart of {topic}, so it is worth getting comfortable with "
    "the basics.",
    "Think about the conditions you expect, because they shape what a sensible approach to {kw} "
    "looks like.",
    "A steady approach to {kw} tends to give more reliable results than bursts of effort.",
    "Reviewing your choices about {kw} every so often keeps small problems from growing.",
    "Many readers find that a short checklist makes {kw} far less overwhelming.",
    "Be wary of advice that promises quick results with {kw}; real progress usually takes time.",
    "The best starting point for {kw} is an honest look at where you are right now.",
    "Trying one change at a time makes it much easier to see what actually helps with {kw}.",
    "Clear priorities make decisions about {kw} simpler, because they tell you what you can "
    "safely ignore.",
    "If something about {kw} feels uncomfortable or wrong, take that as a signal to reassess.",
    "A little preparation goes a long way with {kw}, especially in the first few weeks.",
    "People often underestimate how much the right choice of {kw} depends on personal preference.",
    "Set expectations early: working out {kw} is a process, and the first attempt rarely looks "
    "like the last.",
    "It is worth revisiting {kw} whenever your goals or circumstances change.",
    "Compare your options for {kw} against the same few criteria so the comparison stays fair.",
    "Where time or money is limited, put it into the part of {kw} you will notice most.",
    "Reading widely about {topic} helps, but trying ideas in practice teaches more.",
    "The right approach to {kw} balances what you want now with what you will need later.",
    "Talking to people who already have experience with {kw} can save you a lot of trial and "
    "error.",
    "A realistic plan for {kw} leaves some room for the unexpected.",
    "It is easier to stick with an approach to {kw} that fits the life you already have.",
    "Progress with {kw} is rarely a straight line, so judge it over weeks rather than days.",
)

INTRO = (
    "If you are searching for {topic}, you probably want practical answers you can act on.",
    "Questions about {topic} come up again and again, and for good reason: the answers make a "
    "real difference.",
    "This article walks through {topic} from the basics to the details that are easy to miss.",
    "Whether you are just starting out or refining what you already do, it is worth taking a "
    "careful look at {topic}.",
    "There is a lot of conflicting advice about {topic}, so this article sticks to clear, "
    "practical points.",
    "Below you will find a structured overview of {topic}, written to help you decide with "
    "confidence.",
)

ROADMAP = (
    "The sections below cover {n} topics, starting with “{first}”.",
    "It is organised in {n} sections, beginning with “{first}” and ending with “{last}”.",
)

CLOSING = (
    "In short, getting {topic} right is manageable once you break it into clear steps.",
    "Use the points above as a checklist, and revisit them whenever your needs change.",
    "With a clear plan and realistic expectations, decisions about {topic} become far less "
    "daunting.",
    "Start with one idea from this article, see how it works for you, and build from there.",
)

QUESTION = (
    "A question that comes up often is “{q}?”, and the honest answer depends on your situation.",
    "Many readers ask “{q}?” before they commit to anything.",
    "“{q}?” is a fair question, and the short answer starts with your own goals.",
)

ANSWER = (
    "The short answer is that it depends on your goals, your experience and the conditions "
    "you face.",
    "In most cases, a sensible starting point is the simplest option that meets your needs.",
    "It is worth answering this for your own situation rather than relying on a general rule.",
    "If you are unsure, start conservatively and adjust once you have a little experience.",
)

STEP = (
    "Take this step slowly: rushing it is the most common reason things go wrong with {kw}.",
    "At this stage, the aim is progress rather than perfection.",
    "Once this step feels routine, move on to the next one.",
    "Keep track of what you did and what changed, so you can adjust {kw} later.",
)

COMPARE = (
    "The main difference comes down to what you value most: flexibility, cost or convenience.",
    "Neither option is better in every situation, which is why the context matters.",
    "If your needs are simple, the more straightforward option is usually the safer choice.",
    "Looking at both options side by side makes the trade-offs much easier to see.",
)

MISTAKES = (
    "Most mistakes with {kw} come from skipping preparation rather than from bad luck.",
    "Avoiding a few common errors does more for {kw} than any single clever trick.",
)

SUMMARY = (
    "Taken together, these points make {topic} much easier to approach with confidence.",
    "The bottom line is simple: match your choice to your needs, not to the loudest "
    "recommendation.",
)

FIT = (
    "It suits readers who want a dependable option without a steep learning curve.",
    "It is less suitable if your needs are highly specialised or your time is very limited.",
)

# How a sentence may refer to a keyword it has already named.
REFERENCES = ("this topic", "the subject", "this area")

FAQ_LEAD = (
    "Here are short answers to the questions readers ask most often about {topic}.",
    "These are the questions that come up most often about {topic}.",
)

# Short sentences to land the word count inside its window without overshooting.
FILLERS = (
    "That is worth keeping in mind.",
    "Small details matter here.",
    "Take your time with this.",
    "Keep it simple at first.",
    "This pays off later.",
    "Consistency matters more than perfection.",
)


LIST_ITEMS = {
    "mistakes": (
        "Rushing decisions about {kw} without a plan",
        "Copying someone else's approach without adapting it",
        "Focusing on price alone",
        "Not reviewing results after the first few weeks",
        "Ignoring early warning signs",
    ),
    "checklist": (
        "A clear goal for {kw}",
        "A realistic timeline",
        "A budget you are comfortable with",
        "A simple way to track progress",
    ),
    "pros": (
        "Straightforward to get started with",
        "Works for a wide range of needs",
        "Good value over the long term",
        "Easy to compare against alternatives",
    ),
    "cons": (
        "May not suit every budget",
        "Takes some time to get used to",
        "Details vary, so check before committing",
        "Not the best fit for highly specialised needs",
    ),
    "keywords": (
        "{Kw}: what it means and when it matters",
        "{Kw}: how it compares with the alternatives",
        "{Kw}: what to check before deciding",
        "{Kw}: common questions and practical answers",
    ),
}
