"""API serializers of reports.monthly: the month's figures as JSON."""

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers


class FiguresInputSerializer(serializers.Serializer):
    province = serializers.ListField(
        child=serializers.CharField(max_length=3),
        required=False,
        default=list,
        help_text=_("Province codes; none: every province you may see."),
    )


class FiguresOutputSerializer(serializers.Serializer):
    month = serializers.CharField(help_text=_("YYYY-MM, a local calendar month (Asia/Ho_Chi_Minh)."))
    provinces = serializers.ListField(child=serializers.CharField(), help_text=_("Empty: all provinces."))
    figures = serializers.DictField(
        child=serializers.IntegerField(), help_text=_("Metric code -> value, in the CSV's order.")
    )
