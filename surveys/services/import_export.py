"""A questionnaire as one JSON document: export, validate, import (schema ``ecoute.survey``, version 1).

The document is what a quality team keeps under version control, sends to another service or loads
as the demo. One function, `validate_document`, decides whether a document is acceptable, and it
checks the *whole* document before anything is written: `survey_import` then writes everything in
one transaction, so a malformed file writes nothing. `survey_export` writes the same schema back in
a canonical form (every key present, fixed key order), so export → import → export is identical.

Schema, version 1
-----------------
Every text shown to respondents is a bilingual object ``{"fr": "...", "en": "..."}`` (French
required where the text is, English optional: the French is shown when it is empty). Texts are
plain text. Markup is not refused at import, but it is never trusted: templates escape every text,
except the notice and thank-you page, which go through the `rich` filter's allow-list
(surveys.templatetags.ecoute: paragraphs, emphasis, lists, links). Lists are ordered: a section's,
question's or choice's place in its list is its order in the questionnaire.

::

    {
      "schema": "ecoute.survey",            # required, exactly this
      "version": 1,                         # required, this module reads version 1
      "survey": {
        "slug": "satisfaction-usagers",     # required, letters, digits, "-" and "_"
        "title": {"fr", "en"},              # required
        "intro": {"fr", "en"}, "thanks": {"fr", "en"},
        "categories": ["researchers", ...], # categories offered to respondents; [] = all
        "min_cell": 5,                      # smallest publishable cell (statistical secrecy)
        "retention": {"drafts_days": 90, "identities_days": 365, "responses_days": 1825},
        "keep_raw_text": false, "allow_erasure": true,
        "notice": {"controller": {"fr", "en"}, ...}   # the 10 keys of models.NOTICE_ELEMENTS
      },
      "categories": [{"code", "label": {"fr", "en"}, "order"}],   # created/updated by code
      "channels":   [{"code", "label": {"fr", "en"}, "order"}],   # created/updated by code
      "waves": [{"code": "2026", "label": "Vague 2026",
                 "opens_at": "2026-09-01T00:00:00+02:00", "closes_at": "..."}],  # ISO 8601, in order
      "sections": [{
        "code": "core", "title": {"fr", "en"}, "intro": {"fr", "en"},
        "categories": [],                   # [] = every category
        "condition": null,                  # as in surveys.logic, on questions of EARLIER sections
        "questions": [{
          "code": "SAT_OVERALL", "type": "satisfaction",   # satisfaction|scale|nps|single|multiple|
                                                          # text|number|matrix
          "text": {"fr", "en"}, "help": {"fr", "en"},
          "required": true, "allow_dont_know": false,
          "categories": [], "channel": null,  # channel: code of the channel the question rates
          "condition": null,
          "min_value": null, "max_value": null,   # number questions only
          "max_length": null,                     # text questions only
          "threshold": null,                      # scored questions: lowest "satisfied" score
          "choices": [{"code": "website", "label": {"fr", "en"}}]  # single/multiple: options;
        }]                                                         # matrix: the rows (items)
      }]
    }

Categories and channels are shared nomenclatures: the document carries the ones it uses
(`survey_export` writes the survey's categories — all of them when the survey offers all — and every
channel, since a respondent may arrive through any channel), and an import creates or relabels
them by code. Every code a survey, section or question refers to must be declared in the document,
so a document stands on its own.

Errors name the path of the bad element, e.g. ``sections[2].questions[0].type: unknown type
"likert7"``. `validate_document` returns them all, in document order; `survey_import` raises
`SurveyImportError` whose message is the first one (all are in ``.errors``).
"""

from __future__ import annotations

# The public API of questionnaire documents, in four rooms: the schema's names, export, validation,
# import. Everything stays importable from here.
from ..logic import CONDITION_KEY_ORDER, canonical_condition  # noqa: F401
from .document_export import document_dumps, survey_export  # noqa: F401
from .document_import import survey_import  # noqa: F401
from .document_schema import (  # noqa: F401
    CHOICE_CODE_RE, CHOICE_KEYS, CODE_RULES, LABELLED_KEYS, MAX_CHOICES, MAX_CONDITION_DEPTH, MAX_ERRORS,
    MAX_NOMENCLATURE, MAX_QUESTIONS, MAX_RETENTION_DAYS, MAX_SECTIONS, MAX_TEXT, MAX_TEXT_ANSWER, MAX_WAVES,
    NOTICE_KEYS, NUMERIC_FOR_CONDITIONS, QUESTION_CODE_RE, QUESTION_KEYS, QUESTION_TYPES, RESERVED_SECTION_CODES,
    RETENTION_KEYS, ROOT, SCHEMA, SCORED, SECTION_KEYS, SLUG_RE, SURVEY_KEYS, TOP_KEYS, VERSION, WAVE_KEYS,
    WITH_CHOICES, WITH_DONT_KNOW, SurveyImportError,
)
from .document_validation import _Stop, _Validator, validate_document  # noqa: F401
