"""Settings, read from the environment with embedded defaults for the demo.

`LIANXIN_ENV=production` refuses to start with the demo keys; see docs/deploy.md.
"""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if not raw:  # unset or empty
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be an integer, got {raw!r}") from exc


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if not raw:  # unset or empty
        return default
    return raw.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if not raw:  # unset or empty
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


LIANXIN_ENV = env_str("LIANXIN_ENV", "demo")  # demo | production | test
DATA_DIR = Path(env_str("LIANXIN_DATA_DIR", str(Path.home() / ".lianxin"))).expanduser().resolve()
DATA_DIR.mkdir(parents=True, exist_ok=True)

DEMO_SECRET_KEY = "lianxin-demo-secret-key-not-for-production"  # noqa: S105
DEMO_DATA_KEY = "lianxin-demo-data-key-not-for-production"
SECRET_KEY = env_str("SECRET_KEY", DEMO_SECRET_KEY)
# Key for personal data: AES-GCM encryption and the keyed hash used for look-ups.
LIANXIN_DATA_KEY = env_str("LIANXIN_DATA_KEY", DEMO_DATA_KEY)

if LIANXIN_ENV == "production":
    if SECRET_KEY == DEMO_SECRET_KEY or len(SECRET_KEY) < 32:
        raise ImproperlyConfigured(
            "production needs SECRET_KEY set (32+ characters), not the demo key"
        )
    if LIANXIN_DATA_KEY == DEMO_DATA_KEY or len(LIANXIN_DATA_KEY) < 32:
        raise ImproperlyConfigured(
            "production needs LIANXIN_DATA_KEY set (32+ characters), not the demo key"
        )

DEBUG = env_bool("DEBUG", False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "huey.contrib.djhuey",
    "lianxin.core",
    "lianxin.audit",
    "lianxin.territory",
    "lianxin.accounts",
    "lianxin.people",
    "lianxin.party",
    "lianxin.cases",
    "lianxin.consultation",
    "lianxin.points",
    "lianxin.stars",
    "lianxin.worklists",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "lianxin.accounts.middleware.IdleTimeoutMiddleware",
    "lianxin.audit.middleware.AuditContextMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "lianxin.urls"
WSGI_APPLICATION = "lianxin.wsgi.application"
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "accounts:home"
LOGOUT_REDIRECT_URL = "accounts:login"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "lianxin.accounts.context_processors.navigation",
                "lianxin.cases.context_processors.cases_unread",
                "lianxin.points.context_processors.points_section",
                "lianxin.consultation.context_processors.consultation_section",
                "lianxin.stars.context_processors.stars_section",
                "lianxin.worklists.context_processors.worklists_section",
            ],
        },
    },
]

# SQLite (WAL) in the data folder unless DATABASE_URL points elsewhere (PostgreSQL in production).
_sqlite_path = DATA_DIR / "lianxin.sqlite3"
DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{_sqlite_path}"),
        conn_max_age=env_int("DB_CONN_MAX_AGE", 60),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "timeout": 30,
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
        }
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 8},
    },
    {"NAME": "lianxin.accounts.passwords.CharacterClassValidator", "OPTIONS": {"min_classes": 3}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

# Login lockout and idle timeout (等保 2.0 level 3 controls); see docs/security.md.
LOGIN_MAX_FAILURES = env_int("LOGIN_MAX_FAILURES", 5)
LOGIN_LOCKOUT_MINUTES = env_int("LOGIN_LOCKOUT_MINUTES", 15)
SESSION_IDLE_TIMEOUT_MINUTES = env_int("SESSION_IDLE_TIMEOUT_MINUTES", 30)
# Password rotation (等保: at most 90 days); 0 turns it off.
PASSWORD_MAX_AGE_DAYS = env_int("PASSWORD_MAX_AGE_DAYS", 90)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", LIANXIN_ENV == "production")
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SESSION_COOKIE_AGE = 12 * 3600

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文")]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)  # WhiteNoise serves from the finders; the folder only has to exist
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG
MEDIA_ROOT = Path(env_str("LIANXIN_MEDIA_ROOT", str(DATA_DIR / "media")))
MEDIA_URL = "/media/"
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 20 * 1024 * 1024

# Background work: Huey on SQLite in the data folder, or on Redis when REDIS_URL is set.
REDIS_URL = env_str("REDIS_URL", "")
HUEY_IMMEDIATE = env_bool("HUEY_IMMEDIATE", False)
if REDIS_URL:
    HUEY = {
        "huey_class": "huey.RedisHuey",
        "name": env_str("HUEY_NAME", "lianxin"),
        "url": REDIS_URL,
        "immediate": HUEY_IMMEDIATE,
    }
else:
    HUEY = {
        "huey_class": "huey.SqliteHuey",
        "name": "lianxin",
        "filename": str(DATA_DIR / "queue.sqlite3"),
        "immediate": HUEY_IMMEDIATE,
    }
HUEY["consumer"] = {"workers": env_int("HUEY_WORKERS", 2), "worker_type": "thread"}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

# Where the Chinese font for PDFs is looked for; see lianxin/core/pdf.py.
LIANXIN_PDF_FONT = env_str("LIANXIN_PDF_FONT", "")
# The points ledger's hash-chain key (docs/points-ledger.md): empty = derived from the data
# key. Retired keys, comma-separated, still verify entries signed before a rotation.
LIANXIN_LEDGER_KEY = env_str("LIANXIN_LEDGER_KEY", "")
LIANXIN_LEDGER_OLD_KEYS = [
    k.strip() for k in env_str("LIANXIN_LEDGER_OLD_KEYS", "").split(",") if k.strip()
]
# Residents' phone login shows the one-time code on the page (the demo has no SMS gateway).
LIANXIN_SHOW_LOGIN_CODES = env_bool("LIANXIN_SHOW_LOGIN_CODES", LIANXIN_ENV == "demo")
LIANXIN_PUBLIC_BASE_URL = env_str("LIANXIN_PUBLIC_BASE_URL", "http://127.0.0.1:8000")
