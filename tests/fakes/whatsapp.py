"""A fake WhatsApp Cloud API (Graph API ``/{version}/{phone-number-id}/messages``) sending
approved templates, with Meta's request checks and answer shapes.

- ``POST /v21.0/<phone-number-id>/messages`` with ``Authorization: Bearer <token>`` and the JSON
  of https://developers.facebook.com/docs/whatsapp/cloud-api/reference/messages →
  ``{"messaging_product": "whatsapp", "contacts": [{"input", "wa_id"}], "messages": [{"id": "wamid…"}]}``.
- Errors ``{"error": {"message", "type", "code", "error_data": {"messaging_product", "details"},
  "fbtrace_id"}}`` with Meta's codes: 190 (token, HTTP 401), 100 (unknown phone number id or a
  missing/invalid field), 132001 (template unknown in that language), 132000 (parameter count),
  132018 (a newline, tab or more than 4 consecutive spaces in a parameter), 131026 (a number in
  ``undeliverable``), 130429 (more than ``max_per_second`` messages within one second),
  131056 (two messages to one number closer than ``pair_interval`` seconds).

``posts`` holds one entry per accepted message: ``{"id", "to", "template", "language",
"parameters", "context", "at"}``.
"""

from __future__ import annotations

import base64
import re
import time
from typing import Any

from tests.fakes.server import Answer, FakeAPI, Request

PHONE_NUMBER_ID = "106540352242922"
TEMPLATES = {("pernyataan_resmi", "id"): 3}  # (name, language) → number of body parameters
_BAD_PARAMETER = re.compile(r"[\n\t]| {5,}")


def meta_error(status: int, code: int, message: str, details: str = "", kind: str = "OAuthException") -> Answer:
    error: dict[str, Any] = {"message": f"(#{code}) {message}", "type": kind, "code": code, "fbtrace_id": "AbCdEfGhIjKlMnOp"}
    if details:
        error["error_data"] = {"messaging_product": "whatsapp", "details": details}
    return Answer(status, {"error": error})


class FakeWhatsApp(FakeAPI):
    """One business number (``phone_number_id``) whose API accepts ``token``.

    A test may set ``max_per_second`` (throughput: Meta's default is 80), ``pair_interval``
    (seconds between two messages to one number), ``undeliverable`` (numbers answered with
    131026) and ``templates``."""

    def __init__(self, token: str, phone_number_id: str = PHONE_NUMBER_ID) -> None:
        super().__init__()
        self.configured_token, self.phone_number_id = token, phone_number_id
        self.reset()
        self.route("POST", r"/v\d+\.\d+/(?P<phone>[^/]+)/messages", self._messages)

    def reset(self) -> None:
        """Forget every post, request and queued fault; limits off, the default templates (one server, many tests)."""
        with self.lock:
            self.posts.clear()
            self.requests.clear()
            self.faults.clear()
        self.token = self.configured_token
        self.templates = dict(TEMPLATES)
        self.max_per_second: int | None = None
        self.pair_interval = 0.0
        self.undeliverable: set[str] = set()

    @property
    def graph_base(self) -> str:
        return f"{self.url}/v21.0"

    def _messages(self, request: Request, match: re.Match[str]) -> Answer:
        if request.headers.get("authorization") != f"Bearer {self.token}":
            return meta_error(401, 190, "Invalid OAuth access token - Cannot parse access token")
        if match["phone"] != self.phone_number_id:
            return meta_error(400, 100, f"Unsupported post request. Object with ID '{match['phone']}' does not exist, "
                              "cannot be loaded due to missing permissions, or does not support this operation", kind="GraphMethodException")
        try:
            body = request.json()
        except ValueError:
            return meta_error(400, 100, "Invalid parameter", "the request body is not JSON")
        refusal = self._refusal(body if isinstance(body, dict) else {})
        if refusal is not None:
            return refusal
        return self._accept(body)

    def _refusal(self, body: dict[str, Any]) -> Answer | None:
        if body.get("messaging_product") != "whatsapp":
            return meta_error(400, 100, "The parameter messaging_product is required.")
        to = body.get("to")
        if not isinstance(to, str) or not re.fullmatch(r"\+?[1-9][0-9]{7,14}", to):
            return meta_error(400, 100, "Invalid parameter", f"Parameter 'to' is not a valid phone number: {to!r}")
        if body.get("type") != "template" or not isinstance(body.get("template"), dict):
            return meta_error(400, 131051, "Unsupported message type", "this fake sends templates only")
        template = body["template"]
        name, language = str(template.get("name")), str((template.get("language") or {}).get("code"))
        if (name, language) not in self.templates:
            return meta_error(404, 132001, "Template name does not exist in the translation",
                              f"template name ({name}) does not exist in {language}")
        bodies = [c for c in template.get("components") or [] if c.get("type") == "body"]
        parameters = [p.get("text") for c in bodies for p in c.get("parameters") or []]
        expected = self.templates[(name, language)]
        if len(parameters) != expected:
            return meta_error(400, 132000, "Number of parameters does not match the expected number of params",
                              f"body: number of localizable_params ({len(parameters)}) does not match the expected number of params ({expected})")
        if any(not isinstance(p, str) or not p.strip() or _BAD_PARAMETER.search(p) for p in parameters):
            return meta_error(400, 132018, "There was an issue with the parameters in your template.",
                              "Param text cannot have new-line/tab characters or more than 4 consecutive spaces")
        if to.lstrip("+") in self.undeliverable:
            return meta_error(400, 131026, "Message undeliverable", "Message Undeliverable.")
        return None

    def _accept(self, body: dict[str, Any]) -> Answer:
        to = body["to"].lstrip("+")
        now = time.monotonic()
        with self.lock:
            if self.max_per_second is not None and sum(now - p["at"] < 1.0 for p in self.posts) >= self.max_per_second:
                return meta_error(400, 130429, "Rate limit hit", "Cloud API message throughput has been reached.")
            if self.pair_interval and any(p["to"] == to and now - p["at"] < self.pair_interval for p in self.posts):
                return meta_error(400, 131056, "(Business Account, Consumer Account) pair rate limit hit",
                                  "Message failed to send because there were too many messages sent from this phone number "
                                  "to the same phone number in a short period of time.")
            wamid = "wamid." + base64.b64encode(f"HBgN{to}FQIAERgS{len(self.posts) + 1:020d}".encode()).decode()
            template = body["template"]
            self.posts.append({
                "id": wamid, "to": to, "template": template["name"], "language": template["language"]["code"],
                "parameters": [p["text"] for c in template["components"] if c.get("type") == "body" for p in c["parameters"]],
                "context": (body.get("context") or {}).get("message_id"), "at": now,
            })
        return Answer(200, {"messaging_product": "whatsapp", "contacts": [{"input": body["to"], "wa_id": to}],
                            "messages": [{"id": wamid, "message_status": "accepted"}]})
