"""``manage.py webhooks_deliver``: send due webhook retries and announce waves that closed.

Run it every minute (cron, or the task worker's host) when the task backend cannot defer tasks;
with a deferring backend retries go through the queue and this only announces closed waves.
"""

from django.core.management.base import BaseCommand

from api.events import waves_closed_announce
from api.webhooks import deliveries_due


class Command(BaseCommand):
    help = "Send due webhook deliveries (retries) and the wave.closed events of waves that have closed."

    def handle(self, *args, **options) -> None:
        waves = waves_closed_announce()
        sent = deliveries_due()
        delivered = sum(1 for d in sent if d.status == "delivered")
        self.stdout.write(f"{len(waves)} wave(s) closed announced; {len(sent)} attempt(s), {delivered} delivered.")
