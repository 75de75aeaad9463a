"""The official `openai` client, built from the settings, with its failures turned into
igny8's domain errors and structured output validated (one repair attempt) before use."""

from __future__ import annotations

import email.utils
import re
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import openai
import pydantic
from openai import AsyncOpenAI

from core.config import Settings
from core.errors import AIOutputError, AIProviderError, ProviderTimeoutError

M = TypeVar("M", bound=pydantic.BaseModel)

# Appended to the conversation after an invalid answer; the model gets exactly one more try.
REPAIR_PROMPT = (
    "Your previous answer was rejected: {problem}\n"
    "Answer again with the complete JSON object, following the schema and the instructions above."
)
_KEY_LIKE = re.compile(r"\b(sk|sess|key)-[A-Za-z0-9_\-*]{6,}")
_MAX_MESSAGE = 300


def api_key(settings: Settings) -> str:
    """The key the client sends; a missing one fails here, clearly, not at the first call."""
    key = settings.openai_api_key.get_secret_value() if settings.openai_api_key else ""
    if not key:
        if not settings.openai_base_url:
            raise AIProviderError(
                "OPENAI_API_KEY is not set: the openai provider needs it (or set OPENAI_BASE_URL "
                "to an OpenAI-compatible server that needs no key)",
                retryable=False,
            )
        key = "not-needed"  # local servers (Ollama, vLLM, llama.cpp) accept any key
    return key


def make_client(settings: Settings) -> AsyncOpenAI:
    """An async client without its own retries (Temporal owns retries): one per event loop
    holds every call of a worker in flight on one connection pool."""
    return AsyncOpenAI(
        base_url=settings.openai_base_url or None,
        api_key=api_key(settings),
        max_retries=0,
        timeout=settings.openai_timeout_seconds,
    )


@dataclass
class Structured(Generic[M]):
    """A validated answer and the tokens all attempts took."""

    value: M
    model: str
    tokens_in: int
    tokens_out: int


class OpenAIGateway:
    """The calls the provider makes, each failing only with a `core.errors.AIProviderError`."""

    def __init__(self, client: AsyncOpenAI, secret: str | None = None) -> None:
        self.client = client
        self._secret = secret or str(client.api_key or "")

    # --- errors ---------------------------------------------------------------------------------

    def scrub(self, text: str) -> str:
        """The text without the API key (or anything shaped like one), shortened."""
        if self._secret:
            text = text.replace(self._secret, "***")
        text = _KEY_LIKE.sub(r"\1-***", text)
        return text if len(text) <= _MAX_MESSAGE else text[: _MAX_MESSAGE - 1] + "…"

    @contextmanager
    def errors(self, what: str) -> Iterator[None]:
        """Translate the client's exceptions. `from None`: the original exception's message may
        quote the key, and Temporal would serialize it as the cause."""
        try:
            yield
        except openai.APITimeoutError:
            msg = f"OpenAI did not answer the {what} request in time"
            raise ProviderTimeoutError(msg) from None
        except openai.APIConnectionError as exc:
            reason = type(exc.__cause__).__name__ if exc.__cause__ else "connection error"
            msg = f"Could not reach OpenAI for the {what} request ({reason})"
            raise AIProviderError(msg) from None
        except openai.APIStatusError as exc:
            raise self.status_error(exc, what) from None
        except openai.APIResponseValidationError:
            raise AIProviderError(f"OpenAI sent an unreadable {what} response") from None

    def status_error(self, exc: openai.APIStatusError, what: str) -> AIProviderError:
        """The domain error for an HTTP error answer."""
        status, code = exc.status_code, exc.code or ""
        said = self.scrub(_server_message(exc))
        details: dict[str, object] = {"status_code": status, "code": code or None}
        details["request_id"] = exc.request_id
        if status == 429 and code == "insufficient_quota":
            msg = "OpenAI quota exhausted (429 insufficient_quota): check the account's billing"
            return AIProviderError(msg, retryable=False, details=details)
        if status == 429:
            wait = retry_after_seconds(exc.response.headers)
            details["retry_after_seconds"] = wait
            msg = f"OpenAI rate limit on the {what} request (429)" + (
                f": retry after {wait:g}s" if wait is not None else ""
            )
            return AIProviderError(msg, retryable=True, retry_after_seconds=wait, details=details)
        if status == 408:
            msg = f"OpenAI timed out the {what} request (408)"
            return ProviderTimeoutError(msg, details=details)
        if status >= 500 or status == 409:
            return AIProviderError(f"OpenAI failed the {what} request ({status})", details=details)
        messages = {
            401: "OpenAI rejected the API key (401): check OPENAI_API_KEY",
            403: f"OpenAI refused access (403): the key may not use this model or endpoint. {said}",
            404: f"OpenAI does not know the model or endpoint (404): check IGNY8_MODEL_* and "
            f"OPENAI_BASE_URL. {said}",
        }
        msg = messages.get(status, f"OpenAI rejected the {what} request ({status}): {said}")
        return AIProviderError(msg.strip(), retryable=False, details=details)

    # --- calls ----------------------------------------------------------------------------------

    async def _send(
        self, what: str, method: Callable[..., Any], **kwargs: Any
    ) -> tuple[Any, dict[str, Any]]:
        """The raw response and its JSON body; a body that is not a JSON object (a proxy's error
        page) would otherwise surface as an AttributeError from deep inside the client."""
        with self.errors(what):
            raw = await method(**kwargs)
        body = _json_body(raw.http_response)
        if not body:
            raise AIProviderError(f"OpenAI sent an unreadable {what} response (not a JSON object)")
        return raw, body

    async def embed(self, model: str, texts: list[str]) -> tuple[list[list[float]], int]:
        """One embedding per text, in order, and the tokens spent."""
        create = self.client.embeddings.with_raw_response.create
        raw, _ = await self._send("embeddings", create, model=model, input=texts)
        with self.errors("embeddings"):
            answer = raw.parse()
        data = sorted(answer.data, key=lambda d: d.index)
        if len(data) != len(texts):
            raise AIOutputError(f"OpenAI returned {len(data)} embeddings for {len(texts)} texts")
        tokens = answer.usage.prompt_tokens if answer.usage else 0
        return [list(d.embedding) for d in data], tokens

    async def image(self, model: str, prompt: str, size: str) -> tuple[str, int, int]:
        """A generated image as base64, and the input/output tokens the answer reported."""
        # gpt-image models always answer in base64 and reject `response_format`.
        extra = (
            {"output_format": "png"}
            if model.startswith("gpt-image")
            else {"response_format": "b64_json"}
        )
        generate = self.client.images.with_raw_response.generate
        raw, _ = await self._send(
            "image", generate, model=model, prompt=prompt, size=size, n=1, **extra
        )
        with self.errors("image"):
            answer = raw.parse()
        encoded = answer.data[0].b64_json if answer.data else None
        if not encoded:
            raise AIOutputError("OpenAI answered the image request without base64 image data")
        usage = answer.usage
        return encoded, (usage.input_tokens if usage else 0), (usage.output_tokens if usage else 0)

    async def structured(
        self,
        model: str,
        messages: list[dict[str, str]],
        schema: type[M],
        check: Callable[[M], None] | None = None,
    ) -> Structured[M]:
        """A chat answer parsed into `schema` and passed through `check` (which raises
        ValueError). Invalid JSON, a schema miss or a failed check gets one repair attempt;
        a refusal or a truncated answer fails at once. Nothing invalid is ever returned."""
        spent: dict[str, Any] = {"model": model, "tokens_in": 0, "tokens_out": 0}
        conversation: list[Any] = list(messages)
        problem = ""
        for attempt in range(2):
            raw, body = await self._send(
                "chat",
                self.client.chat.completions.with_raw_response.parse,
                model=model,
                messages=conversation,
                response_format=schema,
            )
            used = body.get("usage") or {}
            spent["model"] = str(body.get("model") or model)
            spent["tokens_in"] += int(used.get("prompt_tokens") or 0)
            spent["tokens_out"] += int(used.get("completion_tokens") or 0)
            try:
                value = await self._validated(raw, schema, check, spent)
                return Structured(value, spent["model"], spent["tokens_in"], spent["tokens_out"])
            except ValueError as exc:  # pydantic.ValidationError is one too
                problem = _validation_problem(exc)
            if attempt == 0:
                conversation += [
                    {"role": "assistant", "content": _first_content(body)[:8000]},
                    {"role": "user", "content": REPAIR_PROMPT.format(problem=problem)},
                ]
        raise AIOutputError(
            f"The {schema.__name__} answer was invalid after one repair attempt: {problem}",
            details={**spent, "problem": problem},
        )

    async def _validated(
        self, raw: Any, schema: type[M], check: Callable[[M], None] | None, spent: dict[str, Any]
    ) -> M:
        """The parsed answer. Raises ValueError for what a repair can fix, AIOutputError for the
        rest (usage so far in `details`, so the caller can still record what was spent)."""
        name = schema.__name__
        try:
            with self.errors("chat"):
                completion = raw.parse()
        except openai.LengthFinishReasonError:
            msg = f"The {name} answer was cut off (finish_reason=length): nothing was saved"
            raise AIOutputError(msg, details=spent) from None
        except openai.ContentFilterFinishReasonError:
            msg = f"The {name} answer was blocked by the content filter"
            raise AIOutputError(msg, details=spent) from None
        if not completion.choices:
            raise ValueError("the answer had no choices")
        choice = completion.choices[0]
        if choice.finish_reason == "length":  # parse() raises on this today; never rely on it
            raise AIOutputError(f"The {name} answer was cut off: nothing was saved", details=spent)
        if choice.message.refusal:
            refusal = self.scrub(choice.message.refusal)
            raise AIOutputError(f"The model refused the {name} request: {refusal}", details=spent)
        parsed: M | None = choice.message.parsed
        if parsed is None:
            raise ValueError("the answer was empty")
        if check is not None:
            check(parsed)
        return parsed


def retry_after_seconds(headers: Mapping[str, str]) -> float | None:
    """Seconds from `retry-after-ms`, or `Retry-After` as seconds or an HTTP date."""
    if (ms := headers.get("retry-after-ms")) is not None:
        try:
            return max(float(ms) / 1000, 0.0)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if value is None:
        return None
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(when.timestamp() - time.time(), 0.0)


def _server_message(exc: openai.APIStatusError) -> str:
    body = exc.body
    if isinstance(body, dict):
        inner = body.get("error", body)
        if isinstance(inner, dict) and isinstance(inner.get("message"), str):
            return str(inner["message"])
    return ""


def _json_body(response: Any) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _first_content(body: dict[str, Any]) -> str:
    try:
        return str(body["choices"][0]["message"]["content"] or "")
    except (KeyError, IndexError, TypeError):
        return ""


def _validation_problem(exc: Exception) -> str:
    """A short, model-readable account of what was wrong with the answer."""
    if isinstance(exc, pydantic.ValidationError):
        parts = [
            f"{'.'.join(str(p) for p in err['loc']) or 'answer'}: {err['msg']}"
            for err in exc.errors()[:8]
        ]
        return "; ".join(parts)
    return str(exc)[:500]
