"""The public message board (留言板): list and search, a case page, likes and "this is my
issue too", and the similar-petitions hint of the submission form. Views only translate
input and output; reads are in selectors.py / search.py, the one write in support.py."""

from __future__ import annotations

from typing import Any

from django import forms
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from xinfang.board.models import Publication, SupportKind
from xinfang.board.search import publication_search, query_words
from xinfang.board.selectors import (
    MAX_PAGE,
    BoardFilters,
    publication_get,
    published,
    region_choices,
    unit_figures,
)
from xinfang.board.support import (
    HINTS_PER_MINUTE,
    SUPPORTS_PER_HOUR,
    support_add,
    support_kinds_given,
    supporter_digest,
    throttle_hit,
)
from xinfang.catalog.selectors import category_tree
from xinfang.core.http import client_key
from xinfang.orgs.selectors import region_get, region_prefix
from xinfang.triage.classifier import classify
from xinfang.triage.selectors import similar_cases
from xinfang.triage.textnorm import petition_text

# The citizens' sign-in puts the phone's blind index here; without it the visitor is a guest.
PHONE_INDEX_SESSION_KEY = "citizen_phone_index"
HINT_LIMIT = 3
HINT_MIN_CHARS = 6  # shorter texts say too little to suggest anything
HINT_SIMILARITY = 0.3  # a text still being typed shares fewer shingles than a finished one
HINT_CATEGORY_MIN = 0.35  # below this the classifier is guessing; say nothing
HINT_TITLE_WORDS = 3


class BoardQueryForm(forms.Form):
    q = forms.CharField(required=False, max_length=100, strip=True)
    region = forms.RegexField(required=False, regex=r"^\d{2,12}$")
    county = forms.RegexField(required=False, regex=r"^\d{6,12}$")  # narrows `region`
    category = forms.IntegerField(required=False, min_value=1)
    unit = forms.IntegerField(required=False, min_value=1)
    replied = forms.ChoiceField(required=False, choices=[("", ""), ("1", "1"), ("0", "0")])
    since = forms.DateField(required=False)
    until = forms.DateField(required=False)
    page = forms.IntegerField(required=False, min_value=1, max_value=MAX_PAGE)

    def region_code(self) -> str:
        # A county left selected from another city (the city was changed) is ignored.
        region, county = (
            str(self.cleaned_data.get("region") or ""),
            str(self.cleaned_data.get("county") or ""),
        )
        if county and (not region or county.startswith(region_prefix(region))):
            return county
        return region

    def filters(self) -> BoardFilters:
        d = self.cleaned_data
        replied = {"1": True, "0": False}.get(d.get("replied") or "")
        return BoardFilters(
            region=self.region_code(),
            category_id=d.get("category"),
            unit_id=d.get("unit"),
            replied=replied,
            since=d.get("since"),
            until=d.get("until"),
        )


def _supporter(request: HttpRequest) -> str:
    phone_index = str(request.session.get(PHONE_INDEX_SESSION_KEY) or "")
    return supporter_digest(phone_index=phone_index, client_key=client_key(request))


def _query_without_page(request: HttpRequest) -> str:
    params = request.GET.copy()
    params.pop("page", None)
    return params.urlencode()


@require_GET
def board_list(request: HttpRequest) -> HttpResponse:
    form = BoardQueryForm(request.GET)
    valid = form.is_valid()
    context: dict[str, Any] = {
        "form": form,
        "regions": region_choices(selected=form.region_code() if valid else ""),
        "categories": list(category_tree(parent_code=None)),
        "base_query": _query_without_page(request),
    }
    if not valid:
        return render(request, "board/list.html", context, status=400)
    context["result"] = publication_search(
        query=form.cleaned_data.get("q") or "",
        filters=form.filters(),
        page=form.cleaned_data.get("page") or 1,
    )
    context["filters"] = form.filters()
    return render(request, "board/list.html", context)


@require_GET
def board_detail(request: HttpRequest, pk: int) -> HttpResponse:
    publication = publication_get(pk=pk)
    given = support_kinds_given(publication=publication, supporter=_supporter(request))
    region = region_get(code=publication.region_code)
    context = {
        "pub": publication,
        "region_name": region.full_name if region is not None else "",
        "figures": unit_figures(unit_id=publication.unit_id) if publication.unit_id else None,
        "support_buttons": [(k.value, k.label, k.value in given) for k in SupportKind],
        "throttled": request.GET.get("throttled") == "1",
    }
    return render(request, "board/detail.html", context)


@require_POST
def board_support(request: HttpRequest, pk: int) -> HttpResponse:
    """A like (the case page's form) or "this is my issue too" (the submission hint, through
    htmx: `?kind=me_too`, answered with a fragment instead of a redirect)."""
    publication = publication_get(pk=pk)
    raw_kind = request.POST.get("kind") or request.GET.get("kind") or SupportKind.LIKE
    if raw_kind not in SupportKind.values:
        return HttpResponse(status=400)
    kind = SupportKind(raw_kind)
    htmx = request.headers.get("HX-Request") == "true"
    throttled = throttle_hit(
        bucket="support", key=client_key(request), limit=SUPPORTS_PER_HOUR, window=3600
    )
    if not throttled:
        support_add(publication=publication, kind=kind, supporter=_supporter(request))
    if htmx:
        context = {"pub": publication, "kind": kind, "throttled": throttled}
        # 200 even when throttled: htmx swaps in only successful answers, and the fragment
        # says what happened.
        return render(request, "board/_supported.html", context)
    url = reverse("board:detail", args=[publication.pk])
    if throttled:
        return HttpResponseRedirect(f"{url}?throttled=1#support")
    return HttpResponseRedirect(f"{url}#support")


def _similar_open(text: str, county: str) -> list[Publication]:
    """Open (unanswered) published petitions of the county that look like `text`: near
    duplicates by MinHash first, else those sharing the title's words."""
    ids = [case_id for case_id, _ in similar_cases(text=text, limit=20, threshold=HINT_SIMILARITY)]
    rows: list[Publication] = []
    if ids:
        candidates = {
            p.case_id: p
            for p in published().filter(
                case_id__in=ids, is_replied=False, region_code__startswith=county
            )
        }
        rows = [candidates[i] for i in ids if i in candidates][:HINT_LIMIT]
    return rows


@require_GET
def board_hint(request: HttpRequest) -> HttpResponse:
    """Fragment for the submission form (htmx, GET title, content, region_code): the suggested
    category and up to three similar open petitions of the same county."""
    if throttle_hit(bucket="hint", key=client_key(request), limit=HINTS_PER_MINUTE, window=60):
        return HttpResponse(status=429)
    title = request.GET.get("title", "")[:200]
    content = request.GET.get("content", "")[:2000]
    region_code = request.GET.get("region_code", "").strip()
    text = petition_text(title, content)
    context: dict[str, Any] = {"category": None, "similar": []}
    if len(text.strip()) >= HINT_MIN_CHARS:
        prediction = classify(text)
        if prediction.top and prediction.top[0][1] >= HINT_CATEGORY_MIN:
            context["category"] = prediction.label
        county = region_code[:6] if region_code.isdigit() and len(region_code) >= 6 else ""
        if county:
            similar = _similar_open(text, county)
            # Fallback: the title's words; single characters (太, 很) are mostly noise, and
            # every word must match, so a few of the title's words only.
            words = [w for w in query_words(title) if len(w) >= 2][:HINT_TITLE_WORDS]
            if not similar and words:
                page = publication_search(
                    query=" ".join(words),
                    filters=BoardFilters(region=county, replied=False),
                    per_page=HINT_LIMIT,
                )
                similar = page.rows
            context["similar"] = similar
    return render(request, "board/_hint.html", context)
