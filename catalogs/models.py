from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Catalog(models.Model):
    """One category list (danh mục), loaded from a data file that names its source."""

    code = models.SlugField(_("code"), max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=200)
    name_en = models.CharField(_("English name"), max_length=200, blank=True)
    version = models.CharField(_("version"), max_length=32)
    source = models.TextField(_("source"))
    source_note = models.TextField(_("source note"), blank=True)
    loaded_at = models.DateTimeField(_("loaded at"), auto_now=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("catalog")
        verbose_name_plural = _("catalogs")

    def __str__(self):
        return self.name


class CatalogEntry(models.Model):
    """An entry of a catalog. Retired entries keep their row (valid_to set) for old records."""

    catalog = models.ForeignKey(Catalog, on_delete=models.PROTECT, related_name="entries")
    code = models.CharField(_("code"), max_length=64)
    name = models.CharField(_("name"), max_length=300)
    name_en = models.CharField(_("English name"), max_length=300, blank=True)
    parent = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True, related_name="children")
    valid_from = models.DateField(_("valid from"), null=True, blank=True)
    valid_to = models.DateField(_("valid to"), null=True, blank=True)
    sort_order = models.PositiveIntegerField(default=0)
    attrs = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["catalog", "sort_order", "code"]
        constraints = [
            models.UniqueConstraint(fields=["catalog", "code"], name="catalog_entry_code_unique"),
            models.CheckConstraint(
                condition=Q(valid_from__isnull=True) | Q(valid_to__isnull=True) | Q(valid_to__gt=models.F("valid_from")),
                name="catalog_entry_dates_in_order",
            ),
        ]
        verbose_name = _("catalog entry")
        verbose_name_plural = _("catalog entries")

    def __str__(self):
        return self.name

    def is_valid_on(self, day) -> bool:
        return (self.valid_from is None or self.valid_from <= day) and (self.valid_to is None or day < self.valid_to)
