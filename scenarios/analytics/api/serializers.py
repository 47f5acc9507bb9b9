"""Shapes of the analytics API's answers (for the OpenAPI document)."""

from __future__ import annotations

from rest_framework import serializers


class BreakdownRowSerializer(serializers.Serializer):
    key = serializers.CharField(help_text="The step, module, reason or intent.")
    numerator = serializers.IntegerField()
    denominator = serializers.IntegerField(allow_null=True)
    value = serializers.FloatField(allow_null=True, help_text="numerator / denominator")
    label = serializers.CharField(required=False, help_text="The queue's or campaign's name.")
    measure = serializers.CharField(required=False, help_text="How `value` reads (record pages).")
    link = serializers.CharField(required=False, help_text="Admin list of the records behind it.")


class KpiFigureSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="<page>.<kpi>, stable")
    name = serializers.CharField()
    definition = serializers.CharField(help_text="The written definition (docs/kpis.md).")
    measure = serializers.ChoiceField(
        choices=[
            "ratio",
            "drop_off",
            "mean",
            "median",
            "count",
            "within",
            "breakdown",
            "percentile",
        ]
    )
    value = serializers.FloatField(
        allow_null=True, help_text="A share 0–1, a mean/median, or a count; null without data."
    )
    numerator = serializers.IntegerField()
    denominator = serializers.IntegerField(allow_null=True)
    link = serializers.CharField(required=False, help_text="Admin list of the records behind it.")
    breakdown = BreakdownRowSerializer(many=True)


class SeriesPointSerializer(serializers.Serializer):
    day = serializers.DateField()
    value = serializers.FloatField(allow_null=True)
    numerator = serializers.IntegerField()
    denominator = serializers.IntegerField()
    link = serializers.CharField(
        required=False, help_text="Admin list of the day's records behind it (record pages)."
    )
    breakdown = BreakdownRowSerializer(
        many=True,
        required=False,
        help_text="The day's figure per agent (occupancy) or per reason (held back).",
    )


class SeriesSerializer(serializers.Serializer):
    kpi = serializers.CharField()
    name = serializers.CharField()
    measure = serializers.CharField()
    points = SeriesPointSerializer(many=True)


class ReportSerializer(serializers.Serializer):
    page = serializers.CharField()
    title = serializers.CharField()
    filters = serializers.DictField(child=serializers.CharField())
    sessions = serializers.IntegerField(allow_null=True)
    kpis = KpiFigureSerializer(many=True)
    trend = SeriesSerializer(allow_null=True)


class PageSerializer(serializers.Serializer):
    code = serializers.CharField()
    title = serializers.CharField()
    kpis = KpiFigureSerializer(many=True, help_text="Definitions only (no values).")
