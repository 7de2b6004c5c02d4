"""Settings, all from the environment.

The embedded default is a SQLite file under var/ and development mode. Production
(DJANGO_ENV=production) requires SECRET_KEY and ALLOWED_HOSTS and turns on every
protection that `manage.py check --deploy` asks for.
"""

import ipaddress
import os
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("VAR_DIR", BASE_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)

PRODUCTION = os.environ.get("DJANGO_ENV", "development") == "production"
# Where a demo database is seeded, demo accounts may be printed; never in production.
DEMO_MODE = not PRODUCTION and os.environ.get("DEMO_MODE", "1") == "1"
DEBUG = not PRODUCTION and os.environ.get("DEBUG", "1") == "1"

if PRODUCTION:
    SECRET_KEY = os.environ["SECRET_KEY"]
    FIELD_INDEX_KEY = os.environ["FIELD_INDEX_KEY"]
    FIELD_MASTER_KEYS = os.environ["FIELD_MASTER_KEYS"]
    ALLOWED_HOSTS = [h.strip() for h in os.environ["ALLOWED_HOSTS"].split(",") if h.strip()]
else:
    SECRET_KEY = os.environ.get("SECRET_KEY", "dev-only-insecure-key-do-not-use-in-production")
    FIELD_INDEX_KEY = os.environ.get("FIELD_INDEX_KEY", "dev-only-field-index-key")
    FIELD_MASTER_KEYS = os.environ.get("FIELD_MASTER_KEYS", "dev:ZGV2LW9ubHktbWFzdGVyLWtleS0zMi1ieXRlcy1sb24=")
    ALLOWED_HOSTS = [h.strip() for h in os.environ.get("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",")]

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "ninja",  # the API docs page from its own static files, not a CDN
    "django_htmx",
    "django_tasks",
    "django_tasks_db",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "axes",
    "common",
    "audit",
    "accounts",
    "catalogs",
    "orgs",
    "people",
    "approvals",
    "movements",
    "compliance",
    "inspections",
    "problems",
    "reports",
    "exchange",
    "imports",
    "backups",
]

MIDDLEWARE = [
    "common.observability.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "common.middleware.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "common.middleware.ApiConditionalGetMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "common.middleware.VietnameseFirstLocaleMiddleware",
    "common.middleware.RequestSizeLimitMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "common.ratelimit.ApiRateLimitMiddleware",
    "accounts.middleware.AccountStateMiddleware",
    "accounts.middleware.AuditDeniedMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

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
                "accounts.context_processors.navigation",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{VAR_DIR / 'db.sqlite3'}"),
        conn_max_age=int(os.environ.get("DB_CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the worker and the web server use the file at the same time.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0
# A PostgreSQL streaming replica for the read-heavy pages (common/dbrouter.py); the test runner only mirrors it onto "default".
if os.environ.get("DATABASE_REPLICA_URL"):
    DATABASES["replica"] = dj_database_url.parse(os.environ["DATABASE_REPLICA_URL"], conn_max_age=DATABASES["default"]["CONN_MAX_AGE"],
                                                 conn_health_checks=True, test_options={"MIRROR": "default"})
    DATABASE_ROUTERS = ["common.dbrouter.ReplicaRouter"]
    MIDDLEWARE.insert(1, "common.dbrouter.PinToPrimaryMiddleware")
# How long a client's reads stay on the primary after it wrote: the replica's replay lag must stay below it.
REPLICA_PIN_SECONDS = float(os.environ.get("REPLICA_PIN_SECONDS", "5"))

# Shared by every process and server (no in-memory state between requests): the API's rate counters. A table of the database
# by default (`manage.py createcachetable`, run by `make setup`); Redis when CACHE_URL names one (redis://host:6379/0).
CACHE_URL = os.environ.get("CACHE_URL", "")
CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": CACHE_URL}
          if CACHE_URL.startswith(("redis://", "rediss://", "unix://")) else
          {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "cache_entries", "OPTIONS": {"MAX_ENTRIES": 50_000}}}
# API requests a minute per token (else per account, else per address); creating a token, verifying a PDF and failed
# authentications from one address allow fewer.
API_RATE_LIMIT = int(os.environ.get("API_RATE_LIMIT", "600"))
API_RATE_LIMIT_SENSITIVE = int(os.environ.get("API_RATE_LIMIT_SENSITIVE", "30"))

# The audit log's hash chain (audit/chain.py): events are linked once this old (their transaction has committed), and each
# night's checkpoint is signed with a key derived from AUDIT_SIGNING_KEY (by default SECRET_KEY: keep either one secret).
AUDIT_SEAL_SECONDS = int(os.environ.get("AUDIT_SEAL_SECONDS", "60"))
AUDIT_SIGNING_KEY = os.environ.get("AUDIT_SIGNING_KEY", SECRET_KEY)

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "django.contrib.auth.backends.ModelBackend"]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
# people change their password regularly; the period is configuration.
PASSWORD_MAX_AGE_DAYS = int(os.environ.get("PASSWORD_MAX_AGE_DAYS", "180"))

# Second factor for the roles that ask for it (administrators, heads, approvers). The demo turns it off so its
# accounts can be tried without an authenticator app; production keeps it on.
TWO_FACTOR_REQUIRED = os.environ.get("TWO_FACTOR_REQUIRED", "0" if DEMO_MODE else "1") == "1"

# Brute force: 5 failures lock the username, or the address, for 15 minutes.
AXES_FAILURE_LIMIT = int(os.environ.get("AXES_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = float(os.environ.get("AXES_COOLOFF_HOURS", "0.25"))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_VERBOSE = False
# Lockouts count the client's address as audit.services.client_ip finds it (X-Forwarded-For from TRUSTED_PROXIES).
AXES_CLIENT_IP_CALLABLE = "audit.services.client_ip"

# The reverse proxies (nginx, the load balancers) whose X-Forwarded-For tells the client's address: addresses or networks,
# comma separated. Empty: nobody's, the client is the connection's address (REMOTE_ADDR). A bad entry stops the start.
TRUSTED_PROXIES = [str(ipaddress.ip_network(n.strip(), strict=False)) for n in os.environ.get("TRUSTED_PROXIES", "").split(",")
                   if n.strip()]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "orgs:tree"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "vi"
LANGUAGES = [("vi", "Tiếng Việt"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Ho_Chi_Minh"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage",
                "OPTIONS": {"location": os.environ.get("MEDIA_ROOT", str(VAR_DIR / "media"))}},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
                    if PRODUCTION else "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# Trusted root certificates for approval signatures, a PEM bundle.
APPROVAL_TRUST_ROOTS = Path(os.environ["APPROVAL_TRUST_ROOTS"]) if os.environ.get("APPROVAL_TRUST_ROOTS") else VAR_DIR / "trust-roots.pem"
# Certificate revocation lists (*.crl, DER or PEM) that approval signatures are checked against; keep them current.
APPROVAL_CRL_DIR = Path(os.environ["APPROVAL_CRL_DIR"]) if os.environ.get("APPROVAL_CRL_DIR") else VAR_DIR / "crls"
# An RFC 3161 timestamp authority's URL; when set, approval signatures are timestamped (CAdES-T).
APPROVAL_TSA_URL = os.environ.get("APPROVAL_TSA_URL", "")
# Agency seals for signed exports: <identifier code of the unit>.p12 files, all opened with SEAL_PASSWORD; a unit without
# one signs with its nearest ancestor's. Production sets the password when it signs exports; nothing else needs it.
SEAL_DIR = Path(os.environ["SEAL_DIR"]) if os.environ.get("SEAL_DIR") else VAR_DIR / "seals"
SEAL_PASSWORD = os.environ.get("SEAL_PASSWORD", "" if PRODUCTION else "demo-con-dau")

# The exchange with the national database through NDXP: its endpoint, this system's client
# certificate and key (mutual TLS), the CA bundle that signs the platform's certificate, and the platform's codes. Without a
# URL, approved versions wait in the outbox. `make run` points it at the local national-database simulator.
EXCHANGE_URL = os.environ.get("EXCHANGE_URL", "")
EXCHANGE_CLIENT_CERT = os.environ.get("EXCHANGE_CLIENT_CERT", "")
EXCHANGE_CLIENT_KEY = os.environ.get("EXCHANGE_CLIENT_KEY", "")
EXCHANGE_CA_BUNDLE = os.environ.get("EXCHANGE_CA_BUNDLE", "")
if os.environ.get("EXCHANGE_SIMULATOR_PORT") and not EXCHANGE_URL:  # the demo's simulator (manage.py national_simulator)
    EXCHANGE_URL = f"https://127.0.0.1:{int(os.environ['EXCHANGE_SIMULATOR_PORT'])}/ndxp/v1"
    EXCHANGE_CLIENT_CERT, EXCHANGE_CLIENT_KEY = str(VAR_DIR / "ndxp" / "client.pem"), str(VAR_DIR / "ndxp" / "client.key")
    EXCHANGE_CA_BUNDLE = str(VAR_DIR / "ndxp" / "ca.pem")
EXCHANGE_SERVICE_CODE = os.environ.get("EXCHANGE_SERVICE_CODE", "CSDLCBCCVC.DONGBO")
EXCHANGE_AGENCY_CODE = os.environ.get("EXCHANGE_AGENCY_CODE", "000.00.00.H19")
EXCHANGE_TIMEOUT = float(os.environ.get("EXCHANGE_TIMEOUT", "30"))
# Packets per request, attempts before a packet stops for an operator, and the first retry's delay (doubled each time).
EXCHANGE_BATCH = int(os.environ.get("EXCHANGE_BATCH", "200"))
EXCHANGE_MAX_ATTEMPTS = int(os.environ.get("EXCHANGE_MAX_ATTEMPTS", "8"))
EXCHANGE_RETRY_SECONDS = float(os.environ.get("EXCHANGE_RETRY_SECONDS", "30"))
EXCHANGE_LEASE_SECONDS = float(os.environ.get("EXCHANGE_LEASE_SECONDS", "300"))

# A retiree keeps reading their own record; other departures close the account.
RETIREES_READ_OWN_RECORD = os.environ.get("RETIREES_READ_OWN_RECORD", "1") == "1"

# A person's access history leaves out accesses kept confidential: these action codes ("x.*" for every action
# starting with "x."), and the accesses of anyone holding these roles at the time (an inspector's reads during an inspection).
ACCESS_HISTORY_HIDDEN_ACTIONS = [a.strip() for a in os.environ.get("ACCESS_HISTORY_HIDDEN_ACTIONS", "inspections.*,audit.*").split(",")
                                 if a.strip()]
ACCESS_HISTORY_HIDDEN_ROLES = [r.strip() for r in os.environ.get("ACCESS_HISTORY_HIDDEN_ROLES", "inspector").split(",") if r.strip()]
# Purposes a reader of someone else's sensitive fields must choose from, kept in the audit; "|"-separated, empty: not asked.
AUDIT_READ_PURPOSES = [p.strip() for p in os.environ.get("AUDIT_READ_PURPOSES", "").split("|") if p.strip()]

# Approval rounds: the last days of each month, and how long an external signer has to return its signatures.
APPROVAL_WINDOW_DAYS = int(os.environ.get("APPROVAL_WINDOW_DAYS", "5"))
APPROVAL_BATCH_MINUTES = int(os.environ.get("APPROVAL_BATCH_MINUTES", "30"))
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "csdl-cbccvc@localhost")
# Where users reach the application: the links in e-mails sent by background jobs, which have no request to go by.
PUBLIC_URL = os.environ.get("PUBLIC_URL", "http://127.0.0.1:8000").rstrip("/")
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = os.environ.get("EMAIL_USE_TLS", "0") == "1"

# Scanned proofs: what an upload may be and how large.
DOCUMENT_MAX_BYTES = int(os.environ.get("DOCUMENT_MAX_BYTES", str(20 * 1024 * 1024)))
# Exported files are downloadable this many days after they are written, then deleted.
EXPORT_KEEP_DAYS = int(os.environ.get("EXPORT_KEEP_DAYS", "7"))
# Bulk import of legacy records: a file with more data rows than this is refused at once; split it.
IMPORT_MAX_ROWS = int(os.environ.get("IMPORT_MAX_ROWS", "100000"))
# Backups (R-10.1, R-10.2, R-16.6; docs/backups.md): where the encrypted files go; the key, base64 of 32 bytes (or
# "id:base64,..." with the first one encrypting), which production must set: elsewhere a key file is made under VAR_DIR on
# first use; how many backups of each kind are kept. PostgreSQL: where the scratch databases of verification are made (by
# default the database's own server and account, which then needs CREATEDB), and the directory of pg_dump/pg_restore/psql.
BACKUP_DIR = Path(os.environ["BACKUP_DIR"]) if os.environ.get("BACKUP_DIR") else VAR_DIR / "backups"
BACKUP_KEY = os.environ.get("BACKUP_KEY", "")
BACKUP_KEY_FILE = Path(os.environ["BACKUP_KEY_FILE"]) if os.environ.get("BACKUP_KEY_FILE") else VAR_DIR / "backup.key"
BACKUP_KEEP_DAILY = int(os.environ.get("BACKUP_KEEP_DAILY", "7"))
BACKUP_KEEP_WEEKLY = int(os.environ.get("BACKUP_KEEP_WEEKLY", "4"))
BACKUP_KEEP_MONTHLY = int(os.environ.get("BACKUP_KEEP_MONTHLY", "12"))
BACKUP_VERIFY_URL = os.environ.get("BACKUP_VERIFY_URL", "")
BACKUP_PG_BIN = os.environ.get("BACKUP_PG_BIN", "")

# Background jobs: in the database (worker `manage.py db_worker`), or on Celery with RabbitMQ with TASKS_BACKEND=celery (worker
# `celery -A config worker -Q default`, broker CELERY_BROKER_URL; config/celery.py); or any backend's import path.
TASKS_BACKEND = os.environ.get("TASKS_BACKEND", "django_tasks_db.DatabaseBackend")
TASKS = {
    "default": {
        "BACKEND": {"celery": "common.celery_tasks.CeleryBackend"}.get(TASKS_BACKEND, TASKS_BACKEND),
    }
}
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "amqp://guest:guest@127.0.0.1:5672//")

SESSION_COOKIE_HTTPONLY = True
# Sessions end after this much inactivity: each request pushes the expiry forward.
SESSION_COOKIE_AGE = int(os.environ.get("SESSION_IDLE_SECONDS", str(30 * 60)))
SESSION_SAVE_EVERY_REQUEST = True
X_FRAME_OPTIONS = "DENY"
CONTENT_SECURITY_POLICY = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
                           "connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'")
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if PRODUCTION:
    SECURE_SSL_REDIRECT = os.environ.get("SECURE_SSL_REDIRECT", "1") == "1"
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "31536000"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    CSRF_TRUSTED_ORIGINS = [o for o in os.environ.get("CSRF_TRUSTED_ORIGINS", "").split(",") if o]

# Log lines carry the request ID; JSON lines (LOG_FORMAT=json, the default in production) for the log collector.
LOG_FORMAT = os.environ.get("LOG_FORMAT", "json" if PRODUCTION else "plain")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "common.observability.RequestIdFilter"}},
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
                   "json": {"()": "common.observability.JsonFormatter"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT, "filters": ["request_id"]}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"axes": {"level": "WARNING"}},
}
# /metrics answers these networks only (the monitoring server); several processes (gunicorn) share their counters through
# PROMETHEUS_MULTIPROC_DIR, which prometheus_client reads from the environment.
METRICS_ALLOWED_NETWORKS = [n for n in os.environ.get("METRICS_ALLOWED_NETWORKS", "127.0.0.1/32,::1/128").split(",") if n]
PROMETHEUS_MULTIPROC_DIR = os.environ.get("PROMETHEUS_MULTIPROC_DIR", "")

