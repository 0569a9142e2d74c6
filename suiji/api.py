"""The typed JSON API under /api/: OpenAPI at /api/openapi.json, docs at /api/docs.

Authentication: the browser session (with CSRF on unsafe methods) or a bearer
token (``Authorization: Bearer sj_…``) issued at /api/tokens. Every error is a
JSON body ``{"error": code, "message": …, "message_zh": …, "message_en": …}``.
"""

from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import translation
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.security import APIKeyCookie, HttpBearer

from accounts.models import ApiToken


class SessionAuth(APIKeyCookie):
    """The signed-in browser session; CSRF is enforced on unsafe methods."""

    param_name = settings.SESSION_COOKIE_NAME

    def _get_key(self, request: HttpRequest) -> str | None:
        # Without a session cookie there is nothing to protect: let the next method answer.
        if self.param_name not in request.COOKIES:
            return None
        return super()._get_key(request)

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and user.is_active:
            return user
        return None


class TokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Any:
        user = ApiToken.authenticate(token)
        if user is not None:
            request.user = user
            request.auth_user = user  # type: ignore[attr-defined]
        return user


class ApiError(HttpError):
    """An error with a message in both languages."""

    def __init__(self, status: int, code: str, message_zh: str, message_en: str) -> None:
        super().__init__(status, message_en)
        self.code = code
        self.message_zh = message_zh
        self.message_en = message_en


def error_body(code: str, message_zh: str, message_en: str, **extra: Any) -> dict[str, Any]:
    lang = translation.get_language() or "zh-hans"
    message = message_en if lang.startswith("en") else message_zh
    return {"error": code, "message": message, "message_zh": message_zh, "message_en": message_en, **extra}


api = NinjaAPI(
    title="Suiji API",
    version="1",
    description="双随机、一公开 supervision platform. Session or bearer-token authentication.",
    auth=[TokenAuth(), SessionAuth(csrf=True)],
    urls_namespace="api",
    docs_url="/docs",
)


@api.exception_handler(ApiError)
def _api_error(request: HttpRequest, exc: ApiError) -> HttpResponse:
    return api.create_response(request, error_body(exc.code, exc.message_zh, exc.message_en), status=exc.status_code)


@api.exception_handler(ValidationError)
def _validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    body = error_body(
        "invalid", "请求数据不符合要求，请检查后重试。", "The request data is invalid.", detail=exc.errors
    )
    return api.create_response(request, body, status=422)


@api.exception_handler(AuthenticationError)
def _auth_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    body = error_body("unauthenticated", "请先登录或提供有效的访问令牌。", "Sign in or give a valid API token.")
    return api.create_response(request, body, status=401)


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    messages = {
        403: ("forbidden", "您没有执行此操作的权限。", "You are not allowed to do this."),
        404: ("not_found", "未找到该对象，或您无权查看。", "Not found, or not visible to you."),
        400: ("bad_request", "请求有误。", "Bad request."),
        409: ("conflict", "操作与当前状态冲突。", "The request conflicts with the current state."),
    }
    code, zh, en = messages.get(exc.status_code, ("error", "请求失败。", str(exc)))
    return api.create_response(request, error_body(code, zh, en), status=exc.status_code)


def forbidden() -> ApiError:
    return ApiError(403, "forbidden", "您没有执行此操作的权限。", "You are not allowed to do this.")


def not_found() -> ApiError:
    return ApiError(404, "not_found", "未找到该对象，或您无权查看。", "Not found, or not visible to you.")


def ensure_perm(request: HttpRequest, perm: str) -> None:
    from accounts.permissions import has_perm

    if not has_perm(request.user, perm):
        raise forbidden()
