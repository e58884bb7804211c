"""Django settings, all from environment variables.

BAQYLAU_DATA_DIR   where the SQLite database, evidence and exports live (default ./var)
DATABASE_URL       e.g. postgres://user@127.0.0.1:5432/baqylau (default: SQLite in the data dir)
SECRET_KEY         required when DEBUG is off; a random per-data-dir key is generated otherwise
DEBUG              "1" to enable debug pages
ALLOWED_HOSTS      comma-separated
BAQYLAU_HTTPS      "1" when the site is served over HTTPS (TLS at a proxy in front of `baqylau serve`):
                   redirect http to https, Secure cookies; off by default so that `make demo`, the
                   tests and local development work over plain http on 127.0.0.1
BAQYLAU_PROXIES    how many proxies in front set X-Forwarded-For (default 1 with BAQYLAU_HTTPS, else
                   0): which address the API's per-IP throttle counts
BAQYLAU_API_RATE_TOKEN / BAQYLAU_API_RATE_IP   API throttling (see "API throttling" below)
The production environment is described in the README ("Running in production").
"""

import os
import secrets
from pathlib import Path

import dj_database_url
from csp.constants import NONCE, NONE, SELF
from django.utils.translation import gettext_lazy as _

PACKAGE_DIR = Path(__file__).resolve().parent
DATA_DIR = Path(os.environ.get("BAQYLAU_DATA_DIR", "var")).resolve()
DATA_DIR.mkdir(parents=True, exist_ok=True)

DEBUG = os.environ.get("DEBUG", "0") == "1"


def _secret_key() -> str:
    """Use SECRET_KEY; otherwise keep a random key in the data dir (never in the repo)."""
    if key := os.environ.get("SECRET_KEY"):
        return key
    key_file = DATA_DIR / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(50))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


SECRET_KEY = _secret_key()
ALLOWED_HOSTS = [h for h in os.environ.get("ALLOWED_HOSTS", "127.0.0.1,localhost").split(",") if h]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "ninja",  # serves the API docs' assets locally instead of from a CDN
    "axes",  # lockout after repeated failed logins
    "csp",  # Content-Security-Policy (its checks; the header comes from baqylau.security)
    "django_otp",  # optional TOTP second factor for staff
    "django_otp.plugins.otp_totp",
    "django_tasks",  # background jobs: Django's tasks API (backport)
    "django_tasks_db",  # ... and its database backend and worker
    "baqylau.jobs",
    "baqylau.accounts",
    "baqylau.elections",
    "baqylau.intake",
    "baqylau.evidence",
    "baqylau.observers",
    "baqylau.reports",
    "baqylau.protocols",
    "baqylau.moderation",
    "baqylau.tally",
    "baqylau.simulate",
    "baqylau.dashboard",
    "baqylau.observer_app",
    "baqylau.crowd",
    "baqylau.bots",
    "baqylau.legal",
    "baqylau.mobile",
    "baqylau.checklists",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "baqylau.security.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",  # must stay last
]

ROOT_URLCONF = "baqylau.urls"
WSGI_APPLICATION = "baqylau.wsgi.application"
ASGI_APPLICATION = "baqylau.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{DATA_DIR / 'baqylau.sqlite3'}"),
        conn_max_age=int(os.environ.get("DB_CONN_MAX_AGE", "60")),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["CONN_MAX_AGE"] = int(os.environ.get("DB_CONN_MAX_AGE", "600"))
    DATABASES["default"]["OPTIONS"] = {
        # WAL lets the web server read while an import or the bot writes.
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=10000;",
        "transaction_mode": "IMMEDIATE",
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",  # older hashes verify, then upgrade
]
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = int(os.environ.get("AXES_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = 1  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
OTP_LOGIN_URL = "/admin/login/"

# Observers' personal data is encrypted with a key derived from this (default: SECRET_KEY).
OBSERVER_DATA_KEY = os.environ.get("OBSERVER_DATA_KEY", "")
# Shared secret that SMS gateways send with each inbound message.
SMS_GATEWAY_SECRET = os.environ.get("SMS_GATEWAY_SECRET", "")

LANGUAGE_CODE = "ru"
LANGUAGES = [("kk", "Қазақша"), ("ru", "Русский"), ("en", "English")]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = os.environ.get("TIME_ZONE", "Asia/Almaty")
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True

# Security. What depends on the transport is switched by BAQYLAU_HTTPS (behind TLS: redirect to
# https, Secure cookies); everything else holds over plain http too. HSTS is sent only on https
# requests (SecurityMiddleware), so it is on whenever DEBUG is off; `baqylau django check --deploy`
# with the production environment of the README gives no warning.
HTTPS = os.environ.get("BAQYLAU_HTTPS", "0") == "1"
SECURE_SSL_REDIRECT = HTTPS
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
LANGUAGE_COOKIE_SECURE = HTTPS
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True  # no script reads it: forms carry the token
LANGUAGE_COOKIE_HTTPONLY = True
SECURE_HSTS_SECONDS = 0 if DEBUG else int(os.environ.get("BAQYLAU_HSTS_SECONDS", "31536000"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = os.environ.get("BAQYLAU_HSTS_SUBDOMAINS", "1") == "1"
SECURE_HSTS_PRELOAD = os.environ.get("BAQYLAU_HSTS_PRELOAD", "1") == "1"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
# gunicorn and uvicorn take the scheme (X-Forwarded-Proto) from the proxies in
# FORWARDED_ALLOW_IPS (default 127.0.0.1), so Django needs no SECURE_PROXY_SSL_HEADER.
PROXIES = int(os.environ.get("BAQYLAU_PROXIES", "1" if HTTPS else "0"))


# API throttling (`baqylau.throttling`): per API token for requests with a valid credential, per
# client address for those without one; "N/s", "N/min", "N/hour", or "off". An observer sends a
# few reports an hour and an app's outbox, back online, a few dozen at once: 600/min per token is
# far above that, and above the ~1 report/s per observer token of bench/intake.py (~500 reports/s
# from 500 observers). Counted per server process (see baqylau.throttling).
def _rate(name: str, default: str) -> str | None:
    value = os.environ.get(name, default).strip()
    return None if value in ("", "0", "off", "none") else value


API_THROTTLE_RATES = {
    "token": _rate("BAQYLAU_API_RATE_TOKEN", "600/min"),
    "ip": _rate("BAQYLAU_API_RATE_IP", "300/min"),
}
NINJA_NUM_PROXIES = PROXIES  # the client address is the one the nearest proxy saw
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "default"},
    "throttle": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": "throttle",
        "OPTIONS": {"MAX_ENTRIES": 100_000},
    },
}
# A request body above this (JSON, or a form's fields without its files) is refused: 413 with a
# JSON message on the API (`baqylau.api`). Files are limited by the evidence store.
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440  # Django's default, 2.5 MB

# Content-Security-Policy on every response (django-csp): scripts and styles only from this
# site, or inline with the page's nonce (`{{ request.csp_nonce }}`; every HTML page has one);
# no inline event handlers, style attributes or eval. The public site loads nothing from
# elsewhere (maps are inline SVG, the API docs' assets are served locally).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF, NONCE],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "worker-src": [SELF],
        "manifest-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
        "upgrade-insecure-requests": HTTPS,
    }
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
}

# The language-name labels used by gettext discovery.
_LANGUAGE_LABELS = (_("Kazakh"), _("Russian"), _("English"))

# Background jobs (`baqylau.jobs`): queued in the database, run by `baqylau worker` (which `serve`
# and `demo` start too). BAQYLAU_JOBS=immediate runs each job at once, inside the call that queues
# it (the test suite's default, so that tests see the system current without a worker).
TASKS = {
    "default": {
        "BACKEND": (
            "django_tasks.backends.immediate.ImmediateBackend"
            if os.environ.get("BAQYLAU_JOBS") == "immediate"
            else "django_tasks_db.DatabaseBackend"
        ),
        "QUEUES": ["default", "urgent"],  # baqylau.jobs.registry.QUEUES
    }
}
