from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from common.crypto import blind_index


def citizen_id_index(citizen_id: str) -> str:
    """Keyed hash of a citizen ID (CCCD): enforces one personal account per person without storing the number here."""
    return blind_index(citizen_id)


class User(AbstractUser):
    """A login: a personal account (tài khoản cá nhân), an agency account (tài khoản cơ quan) or a system client."""

    class Kind(models.TextChoices):
        PERSONAL = "personal", _("personal account")
        AGENCY = "agency", _("agency account")
        SYSTEM = "system", _("system client")

    kind = models.CharField(_("account kind"), max_length=16, choices=Kind.choices, default=Kind.PERSONAL)
    # The employing unit of a person, or the agency an agency account belongs to.
    unit = models.ForeignKey("orgs.Unit", on_delete=models.PROTECT, null=True, blank=True, related_name="accounts",
                             verbose_name=_("unit"))
    citizen_id_index = models.CharField(max_length=64, blank=True, editable=False)
    must_change_password = models.BooleanField(default=True)
    password_changed_at = models.DateTimeField(null=True, blank=True)
    sessions_valid_after = models.DateTimeField(null=True, blank=True)
    locked_at = models.DateTimeField(null=True, blank=True)
    lock_reason = models.CharField(max_length=300, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["citizen_id_index"], condition=~Q(citizen_id_index=""),
                                    name="one_personal_account_per_person"),
        ]

    def get_full_name(self):
        # Vietnamese order: family and middle names (last_name) before the given name.
        return f"{self.last_name} {self.first_name}".strip()

    @property
    def usable(self) -> bool:
        return self.is_active and self.locked_at is None and self.closed_at is None


class WrittenRequest(models.Model):
    """The written request (văn bản đề nghị) behind a grant, restriction, extension or revocation."""

    document_number = models.CharField(_("document number"), max_length=100)
    document_date = models.DateField(_("document date"))
    summary = models.CharField(_("summary"), max_length=500, blank=True)
    scan = models.FileField(_("scanned document"), upload_to="requests/%Y/%m/")
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)

    def __str__(self):
        return f"{self.document_number} ({self.document_date:%d/%m/%Y})"


class Role(models.Model):
    """A role is data: the actions it allows, the field clearance it carries, whether 2FA is required."""

    code = models.SlugField(unique=True)
    name = models.CharField(_("name"), max_length=200)
    name_en = models.CharField(max_length=200, blank=True)
    actions = models.JSONField(default=list)
    clearance = models.PositiveSmallIntegerField(_("clearance"), default=0)
    requires_2fa = models.BooleanField(default=False)
    # Roles a delegated account administrator may hand out inside their scope.
    delegable = models.BooleanField(default=False)

    class Meta:
        ordering = ["-clearance", "code"]

    def __str__(self):
        return self.name


class RoleGrant(models.Model):
    """A role held by a user over a unit (and, usually, the units under it) for a period."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="grants")
    role = models.ForeignKey(Role, on_delete=models.PROTECT, related_name="grants")
    unit = models.ForeignKey("orgs.Unit", on_delete=models.PROTECT, related_name="+", verbose_name=_("scope"))
    include_subtree = models.BooleanField(_("includes the units under it"), default=True)
    read_only = models.BooleanField(_("read only"), default=False)
    valid_from = models.DateField(_("valid from"))
    valid_to = models.DateField(_("valid to"), null=True, blank=True)
    request = models.ForeignKey(WrittenRequest, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    granted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")
    granted_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["user", "revoked_at"], name="grant_user_active")]

    def active_on(self, day) -> bool:
        return self.revoked_at is None and self.valid_from <= day and (self.valid_to is None or day < self.valid_to)


class GrantChange(models.Model):
    """History of a grant: who granted, restricted, extended or revoked it, on which written request."""

    class Action(models.TextChoices):
        GRANT = "grant", _("granted")
        RESTRICT = "restrict", _("restricted")
        EXTEND = "extend", _("extended")
        REVOKE = "revoke", _("revoked")

    grant = models.ForeignKey(RoleGrant, on_delete=models.PROTECT, related_name="changes")
    action = models.CharField(max_length=16, choices=Action.choices)
    request = models.ForeignKey(WrittenRequest, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    details = models.JSONField(default=dict, blank=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["at", "pk"]


class ApiToken(models.Model):
    """A personal or system API token; only its hash is kept."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="api_tokens")
    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(max_length=12, db_index=True)
    key_hash = models.CharField(max_length=64, unique=True)
    scopes = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(_("expires at"))
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)


class LoginEvent(models.Model):
    """Every login attempt, success or failure, shown to the account's owner."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="login_events")
    username = models.CharField(max_length=150)
    success = models.BooleanField()
    ip_address = models.GenericIPAddressField(null=True)
    user_agent = models.CharField(max_length=300, blank=True)
    at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-at"]


class PasswordReport(models.Model):
    """A lost or stolen password reported by its owner; the head and Sở Nội vụ see it, an administrator resets (R-12.3)."""

    class Kind(models.TextChoices):
        LOST = "lost", _("lost")
        STOLEN = "stolen", _("stolen")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="password_reports")
    username = models.CharField(max_length=150)
    kind = models.CharField(max_length=8, choices=Kind.choices)
    message = models.CharField(_("message"), max_length=500, blank=True)
    ip_address = models.GenericIPAddressField(null=True)
    reported_at = models.DateTimeField(auto_now_add=True)
    handled_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    handled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-reported_at"]
