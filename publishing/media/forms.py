"""Forms of the media library pages. No logic: the services decide."""

from __future__ import annotations

from django import forms
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _

from socialops.errors import ApplicationError

from ..models import MediaAsset
from .services import ALT_TEXT_MAX, media_limits


class _ServiceErrors:
    def apply_error(self, exc: ApplicationError) -> None:
        placed = False
        for field, messages in exc.fields.items():
            if field in self.fields:
                for message in messages:
                    self.add_error(field, message)
                placed = True
        if not placed:
            self.add_error(None, exc.message)


class MediaUploadForm(_ServiceErrors, forms.Form):
    file = forms.FileField(
        label=_("Image or video"),
        allow_empty_file=True,
        widget=forms.ClearableFileInput(attrs={"accept": "image/*,video/*"}),
    )
    alt_text = forms.CharField(
        label=_("Alt text"),
        required=False,
        max_length=ALT_TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Describe the image for people who cannot see it."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        limits = media_limits()
        self.fields["file"].help_text = _(
            "JPEG, PNG, WebP or GIF images up to %(image)s; MP4, MOV or WebM videos up to %(video)s. "
            "Files are checked by their content, not their name."
        ) % {
            "image": filesizeformat(limits.max_image_bytes),
            "video": filesizeformat(limits.max_video_bytes),
        }


class MediaFilterForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Kind"),
        required=False,
        choices=[("", _("Images and videos"))] + list(MediaAsset.Kind.choices),
    )
    q = forms.CharField(label=_("Search"), required=False, max_length=100)


class AltTextForm(_ServiceErrors, forms.Form):
    alt_text = forms.CharField(
        label=_("Alt text"),
        required=False,
        max_length=ALT_TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Used wherever a post does not give its own."),
    )


class FocalPointForm(_ServiceErrors, forms.Form):
    focal_x = forms.FloatField(
        label=_("Across (0 = left, 1 = right)"),
        min_value=0,
        max_value=1,
        widget=forms.NumberInput(attrs={"step": "any", "inputmode": "decimal"}),
    )
    focal_y = forms.FloatField(
        label=_("Down (0 = top, 1 = bottom)"),
        min_value=0,
        max_value=1,
        widget=forms.NumberInput(attrs={"step": "any", "inputmode": "decimal"}),
    )
