import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "baqylau.settings")


def _strip_header_values(app):
    """Django's WSGI handler emits Set-Cookie values with a leading space (`c.output(header="")`).
    Most WSGI servers tolerate it; uvicorn's WSGI interface hands headers to h11, which rejects
    them. Stripping the values is harmless everywhere."""

    def wrapped(environ, start_response):
        def start(status, headers, exc_info=None):
            return start_response(status, [(k, v.strip()) for k, v in headers], exc_info)

        return app(environ, start)

    return wrapped


application = _strip_header_values(get_wsgi_application())
