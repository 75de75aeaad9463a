"""Prompt overrides per account, through the API, reaching the article prompt."""

from __future__ import annotations

from core.db import session_scope
from services.ai.prompts import load_prompts


async def test_prompt_override_is_per_account_and_resettable(api, tenant, other):
    listed = (await api.get("/prompts", headers=tenant.headers)).json()
    article = next(p for p in listed if p["function"] == "generate_content")
    assert not article["overridden"] and "outline" in article["placeholders"]

    body = {"system": "You write for Acme.", "user": "Write {title} in our voice.\n{outline}"}
    saved = await api.put("/prompts/generate_content", json=body, headers=tenant.headers)
    assert saved.status_code == 200 and saved.json()["overridden"]
    with session_scope() as s:
        mine = load_prompts(s, tenant.account_id)["generate_content"]
        theirs = load_prompts(s, other.account_id)["generate_content"]
    assert mine.system == "You write for Acme." and theirs.system != mine.system

    typo = {"system": "x", "user": "Write {titel}"}
    bad = await api.put("/prompts/generate_content", json=typo, headers=tenant.headers)
    assert bad.status_code == 422 and "titel" in bad.json()["error"]["message"]
    unknown = await api.put("/prompts/nope", json=body, headers=tenant.headers)
    assert unknown.status_code == 422
    assert (await api.delete("/prompts/generate_content", headers=other.headers)).status_code == 404
    assert (
        await api.delete("/prompts/generate_content", headers=tenant.headers)
    ).status_code == 204
    listed = (await api.get("/prompts", headers=tenant.headers)).json()
    assert not next(p for p in listed if p["function"] == "generate_content")["overridden"]
