"""The Atom feed of releases (Django's syndication framework): one entry per released version,
so a release and each later correction are announced. Entries appear by the clock alone; an
embargoed publication is absent until its release moment, whoever asks."""

from __future__ import annotations

from django.contrib.syndication.views import Feed
from django.utils import timezone
from django.utils.feedgenerator import Atom1Feed
from django.utils.translation import gettext as _

from .models import PublicationVersion
from .selectors import publications_released
from .text import markdown_html

MAX_ENTRIES = 50


class ReleasesFeed(Feed):
    feed_type = Atom1Feed

    def title(self) -> str:
        from django.conf import settings

        return f"{settings.SERVICE_NAME} — " + _("publications")

    def link(self) -> str:
        from django.urls import reverse

        return reverse("publications:calendar")

    def subtitle(self) -> str:
        return _("Parutions et corrections des résultats des enquêtes de satisfaction.")

    def items(self):
        now = timezone.now()
        pubs = PublicationVersion.objects.filter(
            publication__in=publications_released(now).values("pk")).select_related("publication__collection")
        return sorted(pubs, key=lambda v: (max(v.publication.release_moment, v.created_at)), reverse=True)[:MAX_ENTRIES]

    def item_title(self, item: PublicationVersion) -> str:
        p = item.publication
        title = f"{p.collection.name} — {p.title}"
        return title if item.number == 1 else title + " — " + _("correction (version %(n)s)") % {"n": item.number}

    def item_description(self, item: PublicationVersion) -> str:
        if item.number > 1 and item.correction_note:
            return markdown_html(item.correction_note)
        return markdown_html(item.text.split("\n\n", 1)[0])

    def item_link(self, item: PublicationVersion) -> str:
        return item.publication.get_absolute_url() if item.number == 1 else item.get_absolute_url()

    def item_guid(self, item: PublicationVersion) -> str:
        return item.get_absolute_url()

    def item_pubdate(self, item: PublicationVersion):
        return max(item.publication.release_moment, item.created_at)

    def item_updateddate(self, item: PublicationVersion):
        return self.item_pubdate(item)
