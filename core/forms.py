"""Forms of the user pages; the rules on who may give what are core.services'."""

from django import forms
from django.contrib.auth.forms import SetPasswordMixin
from django.utils.translation import gettext_lazy as _

from .models import Province
from .roles import Role
from .scoping import province_scope


class AccountForm(forms.Form):
    """An account's names, role and reach; the provinces offered are the actor's own."""

    username = forms.RegexField(
        label=_("User name"),
        max_length=150,
        regex=r"^[\w.@+-]+\Z",
        error_messages={"invalid": _("Letters, digits and @ . + - _ only.")},
    )
    first_name = forms.CharField(label=_("First name"), max_length=150, required=False)
    last_name = forms.CharField(label=_("Last name"), max_length=150, required=False)
    email = forms.EmailField(label=_("E-mail"), required=False)
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)
    all_provinces = forms.BooleanField(label=_("All provinces"), required=False)
    provinces = forms.ModelMultipleChoiceField(
        label=_("Provinces"),
        queryset=Province.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple(attrs={"class": "province-choices"}),
        help_text=_("The account sees only these provinces' agents, points, registrations and flags."),
    )
    is_active = forms.BooleanField(
        label=_("May sign in"), required=False, initial=True, help_text=_("Untick to disable the account.")
    )

    def __init__(self, *args, actor, editing: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["provinces"].queryset = Province.objects.for_user(actor).order_by("code")
        if province_scope(actor) is not None:
            del self.fields["all_provinces"]  # only a manager of all provinces gives all provinces
        if editing:
            del self.fields["username"]
        else:
            del self.fields["is_active"]

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("all_provinces"):
            cleaned["provinces"] = []
        return cleaned

    def service_data(self) -> dict:
        data = dict(self.cleaned_data)
        data["provinces"] = list(data.get("provinces") or [])
        data.setdefault("all_provinces", False)
        return data


class NewAccountForm(SetPasswordMixin, AccountForm):
    """A new account with its first password (Django's password rules apply)."""

    password1, password2 = SetPasswordMixin.create_password_fields(label1=_("Password"), label2=_("Password again"))

    def clean(self):
        cleaned = super().clean()
        self.validate_passwords()
        return cleaned


class PasswordForm(SetPasswordMixin, forms.Form):
    """A new password for another account (e.g. a forgotten one); given to its owner to change."""

    password1, password2 = SetPasswordMixin.create_password_fields(
        label1=_("New password"), label2=_("New password again")
    )

    def clean(self):
        cleaned = super().clean()
        self.validate_passwords()
        return cleaned
