"""Analyst pages: thin views over `analysis` functions (each module one room).

- :mod:`.access`: who may read (analysts and designers of a granted survey), the decorators;
- :mod:`.common`: a chart :class:`Block`, the page context, the data-CSV response;
- :mod:`.channel_page`, :mod:`.trend_page`, :mod:`.question_page`: the blocks of each chart page;
- :mod:`.block_pages`: the chart pages and their data views, from one table;
- :mod:`.pages`: the surveys list, the overview, the verbatims, the exports form.

Every page reads its filters from the URL through the allow-list of :mod:`analysis.filters`
(anything else: 400), asks :class:`analysis.selectors.Dashboard` for suppressed, linked, cached
tables (queries and computations live in :mod:`analysis.selectors`, :mod:`analysis.trend_tables`,
:mod:`analysis.overview`, :mod:`analysis.verbatim_queries`, :mod:`analysis.microdata`), and turns
each into a chart with :mod:`analysis.charts`; figures are written by :mod:`analysis.formatting`.
A chart's "data" link serves the exact table behind it as CSV (a plain GET: it is the page's own,
suppressed table, so it is not an export and writes no audit row — reading the page is not
audited either). Microdata and indicator exports are POST forms (CSRF-protected) and each one
is audited.

The names below are those the URLconf and the other apps (publications, verbatims, api) import.
"""

from django.views.decorators.http import require_GET  # noqa: F401 - used as views.require_GET by page modules

from ..formatting import fmt_value as _fmt  # noqa: F401 - the former private names
from ..formatting import signed as _signed  # noqa: F401
from ..microdata import INDICATOR_TABLES, indicator_tables, microdata_for
from ..table_rows import ALL
from ..verbatim_queries import TERMS_MAX_TEXTS, VERBATIMS_PER_PAGE, verbatims_queryset
from .access import analyst_required, bad_request, dashboard_page, may_export_microdata, may_read
from .alt_text import alt_rows, codes, hidden_note, present
from .block_pages import BLOCK_PAGES, block_views
from .channel_page import channel_blocks
from .common import Block, block_csv, charts_available, csv_response, finish, kind_label, page_context
from .pages import exports_page, index, overview, verbatims
from .question_page import question_blocks, scored_question
from .trend_page import trend_blocks

channels, channels_data = block_views(BLOCK_PAGES["channels"])
trends, trends_data = block_views(BLOCK_PAGES["trends"])
question, question_data = block_views(BLOCK_PAGES["question"])

# the former private names, still imported by modules built on these pages
_context = page_context
_csv_response = csv_response
_block_csv = block_csv
_kind_label = kind_label
_alt_rows = alt_rows
_present = present
_hidden_note = hidden_note
_codes = codes
_scored_question = scored_question


def _finish(request, blocks, data_url, filters=None) -> None:  # the former signature (filters unused)
    finish(request, blocks, data_url)

__all__ = [
    "ALL", "BLOCK_PAGES", "Block", "INDICATOR_TABLES", "TERMS_MAX_TEXTS", "VERBATIMS_PER_PAGE", "analyst_required",
    "bad_request", "block_csv", "block_views", "channel_blocks", "channels", "channels_data", "charts_available",
    "csv_response", "dashboard_page", "exports_page", "finish", "index", "indicator_tables", "kind_label",
    "may_export_microdata", "may_read", "microdata_for", "overview", "page_context", "question",
    "question_blocks", "question_data", "trend_blocks", "trends", "trends_data", "verbatims",
    "verbatims_queryset",
]
