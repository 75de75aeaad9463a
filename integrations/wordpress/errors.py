"""WordPress errors, one tree, and the classification of HTTP answers and transport failures.

Every class is a `core.errors.WordPressError`, so activities map them all to one Temporal
error type; the subclasses let callers react to a case (a deleted post) without matching text.

    WordPressError
    ├── WordPressAuthError        401: credentials refused or never seen (permanent)
    ├── WordPressPermissionError  403: the user's role lacks a capability (permanent)
    ├── WordPressNotFoundError    404: post/term gone, or the REST API is off (permanent)
    ├── WordPressRejectedError    other 4xx: WordPress refused the request as given (permanent)
    └── WordPressUnavailableError 429/5xx/timeouts/connection errors (retryable)
"""

from __future__ import annotations

from typing import Any

import httpx

from core.errors import WordPressError

# WordPress answers `rest_not_logged_in` both for wrong credentials and for credentials it never
# saw, so the message names every cause, the commonest hidden one (a stripped header) included.
HEADER_STRIPPED_HINT = (
    "Either the username or application password is wrong, or - if they are right - the web "
    "server strips the Authorization header before PHP sees it (Apache with PHP-FPM/CGI: add "
    '`SetEnvIf Authorization "(.*)" HTTP_AUTHORIZATION=$1` or `CGIPassAuth On`), or application '
    "passwords are unavailable (they need HTTPS unless WP_ENVIRONMENT_TYPE is 'local')."
)


class WordPressAuthError(WordPressError):
    """WordPress did not accept (or did not see) the credentials."""


class WordPressPermissionError(WordPressError):
    """The WordPress user is authenticated but not allowed to do this."""


class WordPressNotFoundError(WordPressError):
    """The object (or the REST route) does not exist."""


class WordPressRejectedError(WordPressError):
    """WordPress refused the request as given (400, 409, 413, ...)."""


class WordPressUnavailableError(WordPressError):
    """WordPress could not be reached or failed; trying again later can help."""

    def __init__(
        self,
        message: str,
        *,
        status_code: int | None = None,
        retry_after_seconds: float | None = None,
        details: object | None = None,
    ) -> None:
        super().__init__(message, retryable=True, status_code=status_code, details=details)
        self.retry_after_seconds = retry_after_seconds


def wp_code(error: WordPressError) -> str | None:
    """The WordPress error code (`term_exists`, `rest_post_invalid_id`, ...) if it sent one."""
    details = error.details
    return details.get("code") if isinstance(details, dict) else None


def _body(response: httpx.Response) -> dict[str, Any]:
    try:
        data = response.json()
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("Retry-After", "")
    try:
        return max(0.0, float(value))
    except ValueError:
        return None  # an HTTP date: rare for WordPress hosts; our backoff applies instead


def error_from_response(response: httpx.Response, action: str) -> WordPressError:
    """Classify a non-2xx answer; `action` says what we tried, e.g. "create the post"."""
    status = response.status_code
    body = _body(response)
    code = body.get("code")
    wp_message = str(body.get("message") or "").strip().rstrip(".")
    details: dict[str, Any] = {"status": status, "code": code, "data": body.get("data")}
    said = f": {wp_message}" if wp_message else ""
    where = f"WordPress could not {action} (HTTP {status}{', ' + code if code else ''}){said}"

    if status == 401:
        if code in ("incorrect_password", "invalid_username", "invalid_email"):
            hint = (
                "The username or application password is wrong. Use an application password "
                "(Users → Profile → Application Passwords), not the login password."
            )
        elif code in ("application_passwords_disabled", "application_passwords_disabled_for_user"):
            hint = "Application passwords are disabled on this site or for this user."
        else:
            hint = "WordPress treated the request as anonymous. " + HEADER_STRIPPED_HINT
        return WordPressAuthError(f"{where}. {hint}", status_code=status, details=details)
    if status == 403:
        return WordPressPermissionError(
            f"{where}. The WordPress user's role lacks the capability for this "
            "(publishing needs an Editor or Administrator, or an Author for own posts).",
            status_code=status,
            details=details,
        )
    if status == 404:
        if not code:
            # An HTML 404: no REST route answered at all.
            return WordPressNotFoundError(
                f"WordPress could not {action}: {response.request.url} is not a REST API "
                "endpoint (HTTP 404 without a JSON answer). Is the URL the site's address, and "
                "is the REST API enabled (a security plugin may disable it)?",
                status_code=status,
                details=details,
            )
        return WordPressNotFoundError(where, status_code=status, details=details)
    if status == 429 or status >= 500 or status in (408, 425):
        return WordPressUnavailableError(
            where, status_code=status, retry_after_seconds=_retry_after(response), details=details
        )
    if 300 <= status < 400:
        location = response.headers.get("Location", "?")
        return WordPressRejectedError(
            f"WordPress redirected {response.request.url} to {location}: set the site's "
            "WordPress URL to the address it redirects to (often https:// or www.)",
            status_code=status,
            details=details,
        )
    return WordPressRejectedError(where, status_code=status, details=details)


def error_from_transport(exc: httpx.HTTPError, url: str, action: str) -> WordPressError:
    """Classify a failure below HTTP: unreachable, timed out, connection dropped."""
    if isinstance(exc, httpx.UnsupportedProtocol):
        return WordPressRejectedError(
            f"The WordPress URL {url} must start with http:// or https://"
        )
    if isinstance(exc, httpx.ConnectTimeout | httpx.ConnectError):
        message = f"WordPress at {url} is unreachable ({type(exc).__name__}: {exc})"
    elif isinstance(exc, httpx.TimeoutException):
        # The request may have been carried out: callers look the object up before creating it.
        message = f"WordPress at {url} timed out while trying to {action}"
    elif isinstance(exc, httpx.TransportError):
        message = f"The connection to WordPress at {url} failed while trying to {action}: {exc}"
    else:
        return WordPressRejectedError(f"Invalid request to WordPress at {url}: {exc}")
    return WordPressUnavailableError(message, details={"exception": type(exc).__name__})
