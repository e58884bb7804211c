"""The Content-Security-Policy header (django-csp), with a nonce on every HTML page.

django-csp puts a nonce in the policy only when a template asked for one
(``{{ request.csp_nonce }}``). Here every HTML response gets one, so that the header says the
same thing on every page (scripts from this site, or inline ones carrying this nonce) and a
template can add a nonce'd inline script or style without anything else to change. The policy
itself is `settings.CONTENT_SECURITY_POLICY`.
"""

from __future__ import annotations

from csp.middleware import CSPMiddleware


class ContentSecurityPolicyMiddleware(CSPMiddleware):
    def process_response(self, request, response):
        nonce = getattr(request, "csp_nonce", None)
        if nonce is not None and response.get("Content-Type", "").startswith("text/html"):
            str(nonce)  # generates the request's nonce, which the header then names
        return super().process_response(request, response)
