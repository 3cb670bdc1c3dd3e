"""`error_format`: the same failure in another body shape, as gateways in front of Azure send them:
`shape` = "bare" (JSON without the `error` wrapper), "html" (a gateway's HTML page), "empty" (no
body at all) or "text" (plain text). `status` defaults to 503."""

from __future__ import annotations

from typing import Any

from .base import Fault, Params, Reply, register

_HTML = (
    "<html><head><title>{status} Service Unavailable</title></head><body><center><h1>{status} "
    "Service Temporarily Unavailable</h1></center><hr><center>Microsoft-Azure-Application-Gateway/v2"
    "</center></body></html>"
)


@register
class ErrorFormat(Fault):
    name = "error_format"

    def __init__(self, params: dict[str, Any] | None) -> None:
        p = Params(self.name, params)
        self.status = p.integer("status", 503, minimum=400, maximum=599)
        self.shape = p.choice("shape", ("bare", "html", "empty", "text"), "bare")
        p.done()

    async def intercept(self, ctx, active):  # type: ignore[no-untyped-def]
        if self.shape == "bare":
            body: Any = {"statusCode": self.status, "message": "Internal server error", "activityId": ctx.request_id}
        elif self.shape == "html":
            body = _HTML.format(status=self.status)
        elif self.shape == "text":
            body = f"upstream connect error or disconnect/reset before headers. reset reason: {self.status}"
        else:
            body = b""
        return Reply(self.status, body)
