"""PostgreSQL only: leave half of each ``surveys_response`` page free (``fillfactor = 50``).

Why: storing a weighting run rewrites ``weight`` on every response of the wave in one statement.
With full pages each new row version lands on another page and gets an entry in each of the
table's ten indexes (a "non-HOT" update: 1 M rows cost ~1.9 GB of WAL and ~50 s); with room on
the page, PostgreSQL writes it beside the old one and touches no index (HOT: ~0.45 GB, a few
seconds). A whole-wave rewrite inside one transaction needs room for a copy of every row of the
page, hence 50. The heap is twice as large when freshly loaded, but a table whose weights were
stored once is that large anyway (old versions vacuumed leave the same free space). It applies to
pages written from now on; an existing table gets it on its next rewrite (``VACUUM FULL``) or,
page by page, as the first full weight update and autovacuum free the old versions.
SQLite has no such setting: a no-op there.
"""

from django.db import migrations

FILLFACTOR = 50


def _set(fillfactor: int | None):
    def run(apps, schema_editor) -> None:
        if schema_editor.connection.vendor != "postgresql":
            return
        table = schema_editor.quote_name(apps.get_model("surveys", "Response")._meta.db_table)
        # DDL from the model's table name and an integer constant only
        option = "RESET (fillfactor)" if fillfactor is None else f"SET (fillfactor = {int(fillfactor)})"
        ddl = f"ALTER TABLE {table} {option}"
        schema_editor.execute(ddl)
    return run


class Migration(migrations.Migration):

    dependencies = [
        ("surveys", "0009_issue18_versions"),
    ]

    operations = [
        migrations.RunPython(_set(FILLFACTOR), _set(None), elidable=False),
    ]
