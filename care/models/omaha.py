"""The Omaha System reference set: care plans are coded in it."""

from __future__ import annotations

from django.db import models


class OmahaDomain(models.Model):
    """One of the four domains of the Omaha System's Problem Classification Scheme."""

    code = models.CharField(max_length=8, unique=True)
    name = models.CharField(max_length=60, unique=True)
    position = models.PositiveSmallIntegerField(unique=True)

    class Meta:
        ordering = ["position"]

    def __str__(self) -> str:
        return self.name


class OmahaProblem(models.Model):
    """One of the 42 problems, by its official number (01 Income ... 42 Medication regimen)."""

    number = models.PositiveSmallIntegerField(unique=True)
    name = models.CharField(max_length=80, unique=True)
    domain = models.ForeignKey(OmahaDomain, on_delete=models.PROTECT, related_name="problems")

    class Meta:
        ordering = ["number"]

    def __str__(self) -> str:
        return f"{self.number:02d} {self.name}"


class OmahaSign(models.Model):
    """A sign or symptom of a problem (each problem also has "other")."""

    problem = models.ForeignKey(OmahaProblem, on_delete=models.PROTECT, related_name="signs")
    position = models.PositiveSmallIntegerField()
    text = models.CharField(max_length=160)

    class Meta:
        ordering = ["problem__number", "position"]
        constraints = [
            models.UniqueConstraint(fields=["problem", "text"], name="omaha_sign_unique"),
            models.UniqueConstraint(fields=["problem", "position"], name="omaha_sign_position"),
        ]

    def __str__(self) -> str:
        return self.text


class OmahaCategory(models.Model):
    """One of the four intervention categories."""

    number = models.PositiveSmallIntegerField(unique=True)
    name = models.CharField(max_length=60, unique=True)

    class Meta:
        ordering = ["number"]
        verbose_name_plural = "Omaha categories"

    def __str__(self) -> str:
        return self.name


class OmahaTarget(models.Model):
    """An intervention target: 75 named ones and "other" (76)."""

    number = models.PositiveSmallIntegerField(unique=True)
    name = models.CharField(max_length=80, unique=True)

    class Meta:
        ordering = ["number"]

    def __str__(self) -> str:
        return f"{self.number:02d} {self.name}"


class OmahaScale(models.TextChoices):
    """The Problem Rating Scale for Outcomes."""

    KNOWLEDGE = "knowledge", "Knowledge"
    BEHAVIOR = "behavior", "Behavior"
    STATUS = "status", "Status"


class OmahaAnchor(models.Model):
    """The wording of each rating 1 to 5 on each scale ("1 No knowledge" ...)."""

    scale = models.CharField(max_length=10, choices=OmahaScale.choices)
    rating = models.PositiveSmallIntegerField()
    wording = models.CharField(max_length=60)

    class Meta:
        ordering = ["scale", "rating"]
        constraints = [
            models.UniqueConstraint(fields=["scale", "rating"], name="omaha_anchor_unique"),
            models.CheckConstraint(
                condition=models.Q(rating__gte=1, rating__lte=5), name="omaha_rating_1_to_5"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_scale_display()} {self.rating}: {self.wording}"


class OmahaScope(models.TextChoices):
    INDIVIDUAL = "individual", "Individual"
    FAMILY = "family", "Family"
    COMMUNITY = "community", "Community"


class OmahaSeverity(models.TextChoices):
    HEALTH_PROMOTION = "health promotion", "Health promotion"
    POTENTIAL = "potential", "Potential"
    ACTUAL = "actual", "Actual"
