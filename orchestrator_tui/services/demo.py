"""The demo data set: a realistic month and a half of AI-assisted work on four projects.

It is built through the same services as real use (start a session, which loads the previous
handoff; complete it, which charges the account; generate the handoff with the rules engine),
then the timestamps are moved so that the sessions are spread over the weeks before ``now``.
Everything is deterministic given ``now``, and the whole load is one transaction: it either
all lands or nothing does. Loading it again adds nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, func, update
from sqlmodel import Session, col, select

from orchestrator_tui.db.database import Database
from orchestrator_tui.db.models import (
    Account,
    Handoff,
    HandoffQueueItem,
    KnowledgeItem,
    Project,
    ProjectFile,
    WorkSession,
    as_utc,
)
from orchestrator_tui.errors import ConflictError
from orchestrator_tui.records import AccountStatus
from orchestrator_tui.repositories import turns as turn_repo
from orchestrator_tui.services import accounts as account_service
from orchestrator_tui.services import handoffs as handoff_service
from orchestrator_tui.services import projects as project_service
from orchestrator_tui.services import sessions as session_service

# A fixed clock for screenshots and snapshot tests.
DEMO_NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


@dataclass(frozen=True)
class DemoResult:
    """What a load created (all zero, with ``already_loaded``, when it was there already)."""

    projects: int = 0
    accounts: int = 0
    sessions: int = 0
    in_progress: int = 0
    turns: int = 0
    handoffs: int = 0
    project_files: int = 0
    knowledge_items: int = 0
    queue_items: int = 0
    already_loaded: bool = False

    def message(self) -> str:
        if self.already_loaded:
            return "Demo data already loaded: nothing added."
        return (
            f"Loaded demo data: {self.projects} projects, {self.accounts} accounts, "
            f"{self.sessions} sessions ({self.in_progress} in progress), {self.turns} "
            f"conversation turns, {self.handoffs} handoff versions."
        )


# --- The data ------------------------------------------------------------------------------


@dataclass(frozen=True)
class DemoProject:
    name: str
    description: str
    archived: bool = False


@dataclass(frozen=True)
class DemoAccount:
    name: str
    platform: str
    credit_limit: int
    specialization: str
    reset_cadence: str
    final_status: str = ""  # set after the sessions ran ("" keeps what the sessions left)
    notes: str = ""


@dataclass(frozen=True)
class DemoSession:
    project: str
    account: str
    session_type: str
    title: str
    objectives: str
    ago: timedelta  # how long before ``now`` it started
    minutes: int  # how long it ran (for an open session: how long the turns span)
    turns: tuple[tuple[str, str], ...]
    accomplishments: str = ""
    blockers: str = ""
    next_steps: str = ""
    credits: int | None = None  # None: still in progress
    branch: str | None = None
    files: tuple[tuple[str, str, int, int, int], ...] = ()  # path, change, +, -, importance
    edit_note: str | None = None  # the user's edit, appended to the generated handoff


ATLAS = "Atlas Storefront"
LEDGER = "ledgerline"
NIGHTJAR = "Nightjar ETL"
LANDING = "Roastery landing page v1"

PROJECTS: tuple[DemoProject, ...] = (
    DemoProject(
        ATLAS,
        "Web shop for a small coffee roastery: Next.js storefront, FastAPI order service, "
        "Postgres, Stripe Checkout and order e-mails.",
    ),
    DemoProject(
        LEDGER,
        "Python command-line tool that reconciles bank CSV exports against a plain-text "
        "ledger (Typer, Polars, rich reports).",
    ),
    DemoProject(
        NIGHTJAR,
        "Nightly data pipeline: pulls readings from 40 weather stations, cleans them with dbt "
        "on DuckDB and publishes Parquet files to S3.",
    ),
    DemoProject(
        LANDING,
        "The static landing page the storefront replaced. Archived; kept for its copy and "
        "its analytics notes.",
        archived=True,
    ),
)

ACCOUNTS: tuple[DemoAccount, ...] = (
    DemoAccount(
        "claude-pro-alex",
        "claude",
        4000,
        "architecture, refactoring, TypeScript, code review",
        "weekly",
    ),
    DemoAccount(
        "claude-team-backend",
        "claude",
        6000,
        "Python backends, FastAPI, SQL, testing",
        "monthly",
    ),
    DemoAccount(
        "genspark-research",
        "genspark",
        10000,
        "research, documentation, comparisons",
        "monthly",
    ),
    DemoAccount(
        "genspark-spare",
        "genspark",
        2000,
        "long-form writing, data pipelines",
        "monthly",
        notes="Second seat; used when genspark-research is busy.",
    ),
    DemoAccount(
        "chatgpt-plus-sam",
        "chatgpt",
        3000,
        "data analysis, pandas, dbt, SQL",
        "monthly",
    ),
    DemoAccount(
        "chatgpt-team",
        "chatgpt",
        5000,
        "frontend, React, CSS, copywriting",
        "monthly",
    ),
    DemoAccount(
        "gemini-advanced",
        "gemini",
        4000,
        "large-context reading, log analysis",
        "daily",
    ),
    DemoAccount(
        "gemini-free-trial",
        "gemini",
        1500,
        "quick questions, CLI design",
        "none",
        final_status=AccountStatus.BLOCKED,
        notes="Trial suspended after a billing failure; support ticket open.",
    ),
    DemoAccount(
        "cursor-pro",
        "cursor",
        500,
        "in-editor edits, TypeScript, React",
        "monthly",
    ),
    DemoAccount(
        "local-llama",
        "other",
        20000,
        "offline drafts, private code (llama.cpp on the workstation)",
        "none",
    ),
)


def _ago(days: int, hours: float = 0) -> timedelta:
    return timedelta(days=days, hours=hours)


SESSIONS: tuple[DemoSession, ...] = (
    # --- Roastery landing page v1 (archived) ---------------------------------------------
    DemoSession(
        project=LANDING,
        account="gemini-advanced",
        session_type="development",
        title="One-page landing site",
        objectives="Ship a one-page landing site with the roastery's story and a mailing list",
        ago=_ago(52, 5),
        minutes=95,
        turns=(
            (
                "user",
                "Build a one-page landing site for Kettle & Crow Roasters: hero, story, "
                "three featured coffees, newsletter signup. Plain HTML and CSS, no framework.",
            ),
            (
                "assistant",
                "Here is a first version in index.html with styles in css/site.css. "
                "The newsletter form posts to Buttondown; replace the username in the action URL.",
            ),
            ("user", "The hero image is 4 MB, the page is slow on mobile."),
            (
                "assistant",
                "Converted it to AVIF and WebP with a <picture> fallback in "
                "index.html; img/hero.avif is 180 KB. TODO: add width/height to avoid layout "
                "shift.",
            ),
            ("user", "Add width and height then, and a favicon."),
            ("assistant", "Done: width/height on every image and favicon.svg linked in the head."),
        ),
        accomplishments="One-page site in index.html and css/site.css\n"
        "Hero image converted to AVIF/WebP (4 MB to 180 KB)\n"
        "Add width/height to avoid layout shift\nNewsletter signup via Buttondown",
        next_steps="Add privacy-friendly analytics\nWrite the wholesale section",
        credits=380,
        files=(
            ("index.html", "created", 212, 0, 5),
            ("css/site.css", "created", 340, 0, 4),
            ("img/hero.avif", "created", 0, 0, 2),
        ),
    ),
    DemoSession(
        project=LANDING,
        account="chatgpt-team",
        session_type="development",
        title="Analytics and wholesale section",
        objectives="Privacy-friendly analytics; wholesale section with an enquiry form",
        ago=_ago(49, 3),
        minutes=70,
        turns=(
            ("user", "Add privacy-friendly analytics, no cookie banner if we can avoid it."),
            (
                "assistant",
                "Plausible fits: one script tag, no cookies. Added it to index.html "
                "with the data-domain attribute.",
            ),
            ("user", "Now a wholesale section with an enquiry form that e-mails us."),
            (
                "assistant",
                "Added #wholesale with a Formspree form. Note: Formspree's free "
                "plan caps at 50 submissions a month.",
            ),
        ),
        accomplishments="Add privacy-friendly analytics with Plausible (no cookies)\n"
        "Write the wholesale section with a Formspree enquiry form",
        next_steps="Replace the site with the full storefront (see Atlas Storefront)",
        credits=420,
        files=(("index.html", "modified", 64, 8, 4),),
    ),
    # --- Nightjar ETL -------------------------------------------------------------------
    DemoSession(
        project=NIGHTJAR,
        account="genspark-research",
        session_type="research",
        title="Source APIs and storage choice",
        objectives="Understand the station API limits; choose storage and transformation tools",
        ago=_ago(42, 6),
        minutes=150,
        turns=(
            (
                "user",
                "We need nightly weather readings from 40 stations. Compare the "
                "per-station REST API with the bulk CSV endpoint.",
            ),
            (
                "assistant",
                "The REST API allows 60 requests/minute and returns one day per "
                "call; the bulk endpoint returns a month per file but lags 48 hours. For a "
                "nightly run, 40 calls a night fits the REST limit easily.",
            ),
            ("user", "Storage: Postgres or DuckDB + Parquet?"),
            (
                "assistant",
                "DuckDB with dbt-duckdb: transformations as SQL models, Parquet "
                "output for the analysts, no server to run. I wrote the trade-offs into "
                "docs/architecture.md.",
            ),
            ("user", "Good. Where do raw files go?"),
            (
                "assistant",
                "data/raw/{date}/station_{id}.csv, immutable; dbt reads them "
                "through a source defined in models/sources.yml. TODO: decide the retention "
                "of raw files.",
            ),
        ),
        accomplishments="Compared the station REST API (60 req/min) and the bulk CSV "
        "endpoint\nChose DuckDB + dbt-duckdb, Parquet on S3\nWrote docs/architecture.md",
        next_steps="Write the extractor with retries\nSet up the dbt project skeleton",
        credits=1800,
        files=(("docs/architecture.md", "created", 148, 0, 4),),
    ),
    DemoSession(
        project=NIGHTJAR,
        account="genspark-spare",
        session_type="development",
        title="Extractor with retries",
        objectives="Write the extractor with retries and a rate limiter",
        ago=_ago(35, 4),
        minutes=130,
        branch="feat/extractor",
        turns=(
            (
                "user",
                "Write the extractor: nightjar/extract.py, httpx, retries with "
                "backoff, stay under 60 requests a minute.",
            ),
            (
                "assistant",
                "Added nightjar/extract.py with an AsyncClient, tenacity retries "
                "(exponential backoff, 5 attempts) and an aiolimiter at 55 req/min. The dbt "
                "project skeleton is in dbt/ with profiles.yml pointing at "
                "data/nightjar.duckdb.",
            ),
            (
                "tool",
                "$ python -m nightjar.extract --date 2023-11-02\n"
                "station 17: httpx.HTTPStatusError: Server error '500 Internal Server Error' "
                "for url 'https://api.stations.example/v2/17/readings?date=2023-11-02'",
            ),
            (
                "assistant",
                "Station 17 fails for dates before 2024 only; the others are fine. "
                "It looks like a gap on their side, not ours.",
            ),
            ("user", "Leave it for now, note it as a blocker."),
        ),
        accomplishments="nightjar/extract.py with httpx, retries with backoff and a "
        "55 req/min limiter\nRaw files land in data/raw/{date}/station_{id}.csv\n"
        "Set up the dbt project skeleton",
        blockers="Station 17 returns HTTP 500 for dates before 2024",
        next_steps="dbt staging models\nSkip and log failing stations instead of aborting",
        credits=1200,
        files=(
            ("nightjar/extract.py", "created", 186, 0, 5),
            ("dbt/dbt_project.yml", "created", 24, 0, 3),
            ("dbt/profiles.yml", "created", 9, 0, 2),
        ),
    ),
    DemoSession(
        project=NIGHTJAR,
        account="genspark-spare",
        session_type="development",
        title="dbt staging models",
        objectives="Staging models for readings and stations; make failing stations non-fatal",
        ago=_ago(29, 2),
        minutes=110,
        branch="feat/staging",
        turns=(
            (
                "user",
                "Create staging models stg_readings and stg_stations, and make a "
                "failing station skip-and-log instead of killing the run.",
            ),
            (
                "assistant",
                "models/staging/stg_readings.sql casts the types and renames "
                "columns; stg_stations.sql reads seeds/stations.csv. In "
                "nightjar/extract.py a failing station now logs a warning and the run "
                "continues.",
            ),
            (
                "tool",
                "$ dbt test --select stg_readings\n"
                "Failure in test not_null_stg_readings_temperature_c "
                "(models/staging/schema.yml)\n  Got 312 results, configured to fail if != 0",
            ),
            (
                "assistant",
                "312 null temperatures: sensor gaps, mostly 10-40 minutes long. "
                "We need a policy before forcing not_null. TODO: check whether humidity has "
                "the same gaps.",
            ),
        ),
        accomplishments="dbt staging models stg_readings and stg_stations\n"
        "Skip and log failing stations instead of aborting (station 17 returns HTTP 500 "
        "for dates before 2024: skipped with a warning)",
        blockers="dbt test not_null fails on stg_readings.temperature_c (312 sensor gaps)",
        next_steps="Decide how to treat sensor gaps\nIncremental model fct_daily_weather",
        credits=800,
        files=(
            ("models/staging/stg_readings.sql", "created", 41, 0, 5),
            ("models/staging/stg_stations.sql", "created", 18, 0, 3),
            ("models/staging/schema.yml", "created", 37, 0, 3),
            ("nightjar/extract.py", "modified", 22, 6, 4),
        ),
    ),
    DemoSession(
        project=NIGHTJAR,
        account="chatgpt-plus-sam",
        session_type="debugging",
        title="Sensor gaps and the incremental model",
        objectives="Decide how to treat sensor gaps; build fct_daily_weather incrementally",
        ago=_ago(16, 5),
        minutes=140,
        branch="fix/sensor-gaps",
        turns=(
            (
                "user",
                "The handoff says not_null fails on temperature_c with 312 gaps. How "
                "should we treat them?",
            ),
            (
                "assistant",
                "Interpolate gaps up to 2 hours linearly (a window function over "
                "station_id ordered by observed_at) and flag longer gaps with "
                "is_gap = true. Humidity has the same gaps, so the macro in "
                "macros/interpolate.sql handles any column.",
            ),
            (
                "tool",
                "$ dbt build --select +fct_daily_weather\n"
                "Completed successfully\nDone. PASS=14 WARN=0 ERROR=0 SKIP=0 TOTAL=14",
            ),
            ("user", "Make fct_daily_weather incremental."),
            (
                "assistant",
                "models/marts/fct_daily_weather.sql is now incremental with "
                "unique_key ['station_id', 'day'] and the merge strategy; a full refresh "
                "takes 40 s, a nightly increment 3 s.",
            ),
            ("user", "Uploading the Parquet files to S3 took 12 minutes last night."),
            (
                "assistant",
                "The upload in nightjar/publish.py is sequential: 40 files one "
                "after the other. A thread pool of 8 should bring it under 2 minutes.",
            ),
        ),
        accomplishments="Decided how to treat sensor gaps: interpolate up to 2 hours, flag "
        "longer ones (macros/interpolate.sql)\ndbt test not_null on "
        "stg_readings.temperature_c passes after the gap handling (312 sensor gaps fixed)\n"
        "Incremental model fct_daily_weather (merge on station_id, day)",
        blockers="S3 upload of the Parquet files is slow (12 min for 40 files)",
        next_steps="Parallel uploads with a thread pool\nSchedule the nightly run with cron "
        "on the VM",
        credits=1100,
        files=(
            ("macros/interpolate.sql", "created", 33, 0, 4),
            ("models/marts/fct_daily_weather.sql", "created", 52, 0, 5),
            ("models/staging/schema.yml", "modified", 12, 3, 3),
        ),
    ),
    DemoSession(
        project=NIGHTJAR,
        account="chatgpt-plus-sam",
        session_type="development",
        title="Parallel uploads and scheduling",
        objectives="Parallel S3 uploads; schedule the nightly run",
        ago=_ago(0, 5),
        minutes=75,
        branch="feat/parallel-upload",
        turns=(
            ("user", "Parallelise the uploads in nightjar/publish.py with a thread pool."),
            (
                "assistant",
                "Switched to concurrent.futures.ThreadPoolExecutor(max_workers=8) "
                "with one boto3 client per thread (clients are thread-safe, sessions are "
                "not). Local run against MinIO: 40 files in 94 s.",
            ),
            ("tool", "$ pytest tests/test_publish.py -q\n3 passed in 1.84s"),
            ("user", "Now the cron entry for 02:30 UTC on the VM."),
            (
                "assistant",
                "Drafted deploy/crontab with flock to avoid overlapping runs. "
                "TODO: alert on failure (healthchecks.io ping at the end of the run).",
            ),
        ),
    ),
    # --- Atlas Storefront ---------------------------------------------------------------
    DemoSession(
        project=ATLAS,
        account="genspark-research",
        session_type="planning",
        title="Scope the MVP and the repo layout",
        objectives="Agree the MVP scope\nPick the stack\nLay out the monorepo",
        ago=_ago(40, 3),
        minutes=120,
        turns=(
            (
                "user",
                "We're replacing the roastery's landing page with a real shop: "
                "product pages, cart, Stripe checkout, order e-mails. Help me cut an MVP "
                "scope and a repo layout.",
            ),
            (
                "assistant",
                "A lean MVP: catalog, product detail, cart, Stripe Checkout, "
                "order confirmation e-mail, a minimal admin order list. Subscriptions and "
                "reviews later. Layout: apps/web (Next.js 15), services/orders (FastAPI), "
                "packages/ui (shared components). I drafted docs/mvp-scope.md with 14 user "
                "stories.",
            ),
            ("user", "What about inventory?"),
            (
                "assistant",
                "A stock column on products is enough for the MVP; decrement it "
                "when the order is paid. TODO: revisit inventory reservations once checkout "
                "is live.",
            ),
            ("user", "Write a docker-compose.yml for Postgres 16 and a .env.example."),
            (
                "assistant",
                "Added docker-compose.yml (postgres:16-alpine, a named volume, a "
                "healthcheck) and .env.example with DATABASE_URL and STRIPE_SECRET_KEY "
                "placeholders.",
            ),
        ),
        accomplishments="Wrote docs/mvp-scope.md with 14 user stories\n"
        "Chose Next.js 15 + FastAPI + Postgres 16\n"
        "Created the monorepo layout: apps/web, services/orders, packages/ui\n"
        "docker-compose.yml for Postgres",
        next_steps="Scaffold apps/web with the product listing page\nCatalog API in "
        "services/orders",
        credits=1450,
        files=(
            ("docs/mvp-scope.md", "created", 96, 0, 4),
            ("docker-compose.yml", "created", 21, 0, 3),
            (".env.example", "created", 6, 0, 2),
        ),
    ),
    DemoSession(
        project=ATLAS,
        account="claude-pro-alex",
        session_type="development",
        title="Product listing page and catalog API",
        objectives="Build the catalog API and the product listing page",
        ago=_ago(36, 6),
        minutes=160,
        branch="feat/catalog",
        turns=(
            (
                "user",
                "Catalog API first: GET /products with pagination, in "
                "services/orders/app/routes/products.py.",
            ),
            (
                "assistant",
                "Added the route with limit/offset pagination and a Product "
                "schema in services/orders/app/schemas.py; scripts/seed_products.py seeds 24 "
                "coffees.",
            ),
            (
                "user",
                "Now the listing page in apps/web/app/products/page.tsx using the "
                "Card from packages/ui.",
            ),
            (
                "assistant",
                "Done: a server component that fetches /products and renders a "
                "responsive grid of Cards.",
            ),
            (
                "tool",
                "$ pnpm --filter web dev\n"
                "Error: Invalid src prop (https://cdn.roastery.example/beans/ethiopia.jpg) on "
                '`next/image`, hostname "cdn.roastery.example" is not configured under '
                "images in your `next.config.js`",
            ),
            (
                "assistant",
                "Remote images must be allowed explicitly. I did not change "
                "next.config.ts yet because the CDN hostname may change next week.",
            ),
        ),
        accomplishments="GET /products with pagination in "
        "services/orders/app/routes/products.py\n"
        "Catalog API in services/orders\n"
        "Product grid in apps/web/app/products/page.tsx using the packages/ui Card\n"
        "Seed script scripts/seed_products.py with 24 coffees",
        blockers="Image optimisation fails for remote images from the CDN",
        next_steps="Product detail page\nConfigure images.remotePatterns in next.config.ts",
        credits=980,
        files=(
            ("services/orders/app/routes/products.py", "created", 58, 0, 5),
            ("services/orders/app/schemas.py", "created", 34, 0, 4),
            ("apps/web/app/products/page.tsx", "created", 47, 0, 5),
            ("scripts/seed_products.py", "created", 71, 0, 2),
        ),
    ),
    DemoSession(
        project=ATLAS,
        account="claude-pro-alex",
        session_type="development",
        title="Product detail page and CDN images",
        objectives="Fix the CDN images; build the product detail page",
        ago=_ago(33, 2),
        minutes=135,
        branch="feat/product-detail",
        turns=(
            (
                "user",
                "The CDN hostname is final now. Fix the images, then build the "
                "product detail page at apps/web/app/products/[slug]/page.tsx.",
            ),
            (
                "assistant",
                "Added images.remotePatterns for cdn.roastery.example in "
                "next.config.ts. The detail page shows origin, roast profile, tasting notes "
                "and a grind selector.",
            ),
            (
                "tool",
                "TypeError: Cannot read properties of undefined (reading 'map')\n"
                "    at ProductPage (apps/web/app/products/[slug]/page.tsx:31:28)",
            ),
            (
                "assistant",
                "Products without tasting notes return null from the API, not an "
                "empty list. Fixed both sides: the schema defaults to [] and the page guards "
                "the map.",
            ),
            ("user", "Add a 404 for unknown slugs."),
            (
                "assistant",
                "notFound() when the API answers 404; "
                "apps/web/app/products/[slug]/not-found.tsx renders a friendly page.",
            ),
        ),
        accomplishments="Fixed image optimisation for remote images from the CDN "
        "(images.remotePatterns in next.config.ts)\n"
        "Product detail page with roast profile, tasting notes and a grind selector\n"
        "404 page for unknown product slugs",
        next_steps="Cart state with zustand\nCart drawer component\nStripe Checkout "
        "session endpoint",
        credits=1120,
        files=(
            ("next.config.ts", "modified", 9, 1, 3),
            ("apps/web/app/products/[slug]/page.tsx", "created", 88, 0, 5),
            ("apps/web/app/products/[slug]/not-found.tsx", "created", 14, 0, 2),
            ("services/orders/app/schemas.py", "modified", 3, 1, 3),
        ),
    ),
    DemoSession(
        project=ATLAS,
        account="chatgpt-team",
        session_type="development",
        title="Cart and Stripe Checkout",
        objectives="Cart with a drawer; Stripe Checkout session; webhook for paid orders",
        ago=_ago(28, 4),
        minutes=170,
        branch="feat/checkout",
        turns=(
            (
                "user",
                "Cart next: state in apps/web/lib/cart.ts with zustand, persisted to "
                "localStorage, and a cart drawer.",
            ),
            (
                "assistant",
                "Added the store (add, remove, set quantity, clear) with the "
                "persist middleware, and CartDrawer in packages/ui/src/cart-drawer.tsx.",
            ),
            (
                "user",
                "Checkout: POST /checkout creates a Stripe Checkout Session, and a "
                "webhook marks the order paid.",
            ),
            (
                "assistant",
                "services/orders/app/routes/checkout.py creates the session "
                "with line items from the cart; services/orders/app/routes/webhooks.py "
                "handles checkout.session.completed.",
            ),
            (
                "tool",
                "$ stripe listen --forward-to localhost:8000/webhooks/stripe\n"
                "stripe.error.SignatureVerificationError: No signatures found matching the "
                "expected signature for payload",
            ),
            (
                "assistant",
                "The signature check fails locally. The whsec_ secret from "
                "`stripe listen` differs from the dashboard's, but that is not the whole "
                "story. TODO: move STRIPE_WEBHOOK_SECRET into the settings object.",
            ),
        ),
        accomplishments="Cart state with zustand in apps/web/lib/cart.ts, persisted\n"
        "Cart drawer component\nStripe Checkout session endpoint: POST /checkout",
        blockers="Stripe webhook signature verification fails locally",
        next_steps="Fix the webhook signature check\nOrder confirmation e-mail",
        credits=1340,
        files=(
            ("apps/web/lib/cart.ts", "created", 64, 0, 4),
            ("packages/ui/src/cart-drawer.tsx", "created", 92, 0, 3),
            ("services/orders/app/routes/checkout.py", "created", 57, 0, 5),
            ("services/orders/app/routes/webhooks.py", "created", 40, 0, 5),
        ),
    ),
    DemoSession(
        project=ATLAS,
        account="claude-team-backend",
        session_type="debugging",
        title="Fix the Stripe webhook",
        objectives="Make the Stripe webhook verify and create orders",
        ago=_ago(21, 6),
        minutes=90,
        branch="fix/stripe-webhook",
        turns=(
            (
                "user",
                "Signature verification still fails. Here is the handler in "
                "services/orders/app/routes/webhooks.py.",
            ),
            (
                "assistant",
                "The handler takes `payload: dict`, so FastAPI parses the JSON "
                "and the bytes Stripe signed are gone. Read `await request.body()` and pass "
                "the raw bytes to stripe.Webhook.construct_event.",
            ),
            (
                "tool",
                "$ pytest services/orders/tests/test_webhooks.py -q\n"
                "FAILED tests/test_webhooks.py::test_paid_order_created - "
                "AssertionError: assert 0 == 1",
            ),
            (
                "assistant",
                "The order was not created because the test payload was "
                "re-serialised before signing. The fixture now signs the exact bytes it "
                "sends.",
            ),
            ("tool", "$ pytest services/orders/tests/test_webhooks.py -q\n4 passed in 0.62s"),
            ("user", "Also move the webhook secret into settings like the TODO says."),
            (
                "assistant",
                "STRIPE_WEBHOOK_SECRET is now read by services/orders/app/"
                "settings.py (pydantic-settings).",
            ),
        ),
        accomplishments="Fixed the Stripe webhook signature check: read the raw body "
        "instead of the parsed JSON\nOrders are created from checkout.session.completed\n"
        "Integration test services/orders/tests/test_webhooks.py with a signed payload\n"
        "Moved STRIPE_WEBHOOK_SECRET into the settings object",
        next_steps="Order confirmation e-mail\nIdempotency on order creation",
        credits=760,
        files=(
            ("services/orders/app/routes/webhooks.py", "modified", 18, 11, 5),
            ("services/orders/app/settings.py", "modified", 4, 0, 3),
            ("services/orders/tests/test_webhooks.py", "created", 76, 0, 4),
        ),
        edit_note="## Notes from Alex\n"
        "- Send e-mails with Resend; the API key is in the team password manager, not in "
        ".env.\n- Keep the order e-mail plain: no marketing blocks before launch.",
    ),
    DemoSession(
        project=ATLAS,
        account="cursor-pro",
        session_type="development",
        title="Order confirmation e-mails",
        objectives="Order confirmation e-mail; idempotent order creation",
        ago=_ago(14, 3),
        minutes=100,
        branch="feat/order-emails",
        turns=(
            (
                "user",
                "Order confirmation e-mail with Resend, per the handoff notes. "
                "Template in packages/emails/order-confirmation.tsx.",
            ),
            (
                "assistant",
                "Added the React Email template and services/orders/app/mail.py "
                "which renders it and sends through Resend after the order is marked paid.",
            ),
            ("user", "Stripe retries webhooks. Make order creation idempotent."),
            (
                "assistant",
                "Unique constraint on orders.stripe_session_id (migration "
                "services/orders/migrations/versions/0004_unique_session.py); a duplicate "
                "delivery now returns 200 without a second order.",
            ),
            (
                "tool",
                "Gmail: message from orders@mail.roastery.example was marked as spam "
                "(SPF: none, DKIM: none)",
            ),
            (
                "assistant",
                "The sending domain has no SPF or DKIM records; that needs DNS "
                "access, which we do not have today.",
            ),
        ),
        accomplishments="Order confirmation e-mail with a React Email template in "
        "packages/emails/order-confirmation.tsx\n"
        "Idempotency on order creation (unique stripe_session_id)",
        blockers="E-mails land in spam on Gmail: no SPF/DKIM for mail.roastery.example",
        next_steps="Add SPF and DKIM records for mail.roastery.example\nAdmin order list "
        "with filters",
        credits=480,
        files=(
            ("packages/emails/order-confirmation.tsx", "created", 83, 0, 4),
            ("services/orders/app/mail.py", "created", 45, 0, 4),
            ("services/orders/migrations/versions/0004_unique_session.py", "created", 22, 0, 3),
        ),
    ),
    DemoSession(
        project=ATLAS,
        account="claude-pro-alex",
        session_type="development",
        title="Admin order list",
        objectives="Admin order list with filters\nVerify DKIM once DNS has propagated",
        ago=_ago(0, 2),
        minutes=60,
        branch="feat/admin-orders",
        turns=(
            (
                "user",
                "DNS records for SPF and DKIM are in. Start the admin order list at "
                "apps/web/app/admin/orders/page.tsx with status and date filters.",
            ),
            (
                "assistant",
                "GET /admin/orders in services/orders/app/routes/admin.py takes "
                "status, from and to; the page uses a server-side table with the filters in "
                "the URL so they survive a reload.",
            ),
            ("tool", '$ dig TXT mail.roastery.example +short\n"v=spf1 include:amazonses.com ~all"'),
            (
                "assistant",
                "SPF is visible; the DKIM selector has not propagated yet. "
                "TODO: protect /admin behind the auth middleware before deploying.",
            ),
        ),
    ),
    # --- ledgerline ---------------------------------------------------------------------
    DemoSession(
        project=LEDGER,
        account="gemini-free-trial",
        session_type="planning",
        title="Command surface and CSV formats",
        objectives="Design the commands; collect real CSV samples",
        ago=_ago(38, 5),
        minutes=80,
        turns=(
            (
                "user",
                "I want a CLI that reconciles my bank CSV exports against my "
                "plain-text ledger. What commands?",
            ),
            (
                "assistant",
                "Three: `ledgerline import BANK FILE` normalises a CSV, "
                "`ledgerline match` pairs bank lines with ledger entries, `ledgerline report` "
                "shows what is unmatched. Typer for the CLI, Polars for the data.",
            ),
            ("user", "I have exports from three banks, all different."),
            (
                "assistant",
                "Put anonymised samples in tests/fixtures/ and describe each "
                "layout in docs/csv-formats.md: delimiter, encoding, date format, sign of "
                "debits. TODO: ask about the credit card export too.",
            ),
        ),
        accomplishments="Defined the command surface: import, match, report\n"
        "Collected anonymised CSVs from 3 banks in tests/fixtures/\n"
        "Wrote docs/csv-formats.md",
        next_steps="Implement the CSV importer with per-bank column maps",
        credits=600,
        files=(("docs/csv-formats.md", "created", 64, 0, 4),),
    ),
    DemoSession(
        project=LEDGER,
        account="claude-team-backend",
        session_type="development",
        title="CSV importer",
        objectives="Implement the CSV importer with per-bank column maps",
        ago=_ago(31, 3),
        minutes=145,
        branch="feat/importer",
        turns=(
            (
                "user",
                "Implement ledgerline/importers/csv.py with a column map per bank. "
                "Amounts must be exact.",
            ),
            (
                "assistant",
                "Each bank profile in ledgerline/banks.toml maps columns, "
                "delimiter, encoding and date format; amounts are parsed to Decimal, never "
                "float. Property tests with hypothesis round-trip the amounts.",
            ),
            (
                "tool",
                "$ pytest -q\nFAILED tests/test_importer.py::test_bank_b - "
                "ValueError: time data '13/02/2026' does not match format '%m/%d/%Y'",
            ),
            (
                "assistant",
                "Bank B exports DD/MM/YYYY although its profile says "
                "MM/DD/YYYY, and the file has no hint. Until we detect it, the profile is "
                "wrong for half of its files.",
            ),
            ("user", "Keep it as a blocker; we'll detect the format from the data."),
        ),
        accomplishments="ledgerline/importers/csv.py with per-bank column maps in "
        "ledgerline/banks.toml\nDecimal amounts, no floats\nProperty tests with hypothesis",
        blockers="Bank B's date format is ambiguous (DD/MM vs MM/DD) with no header hint",
        next_steps="Detect the date format from the data\nImplement the matcher",
        credits=890,
        files=(
            ("ledgerline/importers/csv.py", "created", 122, 0, 5),
            ("ledgerline/banks.toml", "created", 36, 0, 4),
            ("tests/test_importer.py", "created", 88, 0, 3),
        ),
    ),
    DemoSession(
        project=LEDGER,
        account="gemini-free-trial",
        session_type="development",
        title="Date detection and the matcher",
        objectives="Detect the date format from the data; implement the matcher",
        ago=_ago(26, 4),
        minutes=125,
        branch="feat/matcher",
        turns=(
            ("user", "Detect the date format from the data, then write the matcher."),
            (
                "assistant",
                "ledgerline/dates.py looks at every date in the column: any "
                "first field above 12 settles DD/MM, any second field above 12 settles MM/DD; "
                "if neither appears, the bank profile decides. Bank B's date format is no "
                "longer ambiguous in any of the fixtures.",
            ),
            (
                "assistant",
                "ledgerline/match.py pairs a bank line with a ledger entry when "
                "the amount is equal, the date is within 3 days and the payee similarity "
                "(rapidfuzz token_set_ratio) is at least 80.",
            ),
            ("tool", "$ pytest -q\n41 passed in 2.10s"),
        ),
        accomplishments="Detect the date format from the data (ledgerline/dates.py); "
        "Bank B's ambiguous date format is resolved\nImplement the matcher in "
        "ledgerline/match.py: amount exact, date within 3 days, payee similarity",
        next_steps="Report command with rich tables\nPackage with hatch and publish to TestPyPI",
        credits=650,
        files=(
            ("ledgerline/dates.py", "created", 47, 0, 4),
            ("ledgerline/match.py", "created", 96, 0, 5),
        ),
    ),
    DemoSession(
        project=LEDGER,
        account="chatgpt-plus-sam",
        session_type="review",
        title="Review and the report command",
        objectives="Review the code so far; report command; first TestPyPI upload",
        ago=_ago(19, 2),
        minutes=115,
        branch="feat/report",
        turns=(
            ("user", "Review the package before we publish anything, then add the report command."),
            (
                "assistant",
                "Review: three bare `except:` in ledgerline/importers/csv.py "
                "swallow encoding errors; replaced with UnicodeDecodeError handling. Added "
                "type hints; mypy --strict passes. `ledgerline report` renders rich tables "
                "and takes --format csv.",
            ),
            (
                "tool",
                "$ hatch publish -r test\nHTTPError: 400 Bad Request from "
                "https://test.pypi.org/legacy/\nThe name 'ledgerline' is too similar to an "
                "existing project.",
            ),
            (
                "assistant",
                "TestPyPI rejects the name. The import name can stay "
                "`ledgerline`; only the distribution name has to change.",
            ),
        ),
        accomplishments="Report command with rich tables and --format csv\n"
        "Review: replaced 3 bare excepts, added type hints, mypy --strict passes",
        blockers="TestPyPI upload rejected: the name is too similar to an existing project",
        next_steps="Pick a new distribution name\nWrite the README usage section",
        credits=540,
        files=(
            ("ledgerline/report.py", "created", 74, 0, 4),
            ("ledgerline/importers/csv.py", "modified", 15, 9, 4),
        ),
    ),
    DemoSession(
        project=LEDGER,
        account="local-llama",
        session_type="development",
        title="Packaging and README",
        objectives="Rename the distribution; publish to TestPyPI; README",
        ago=_ago(9, 6),
        minutes=85,
        turns=(
            ("user", "Rename the distribution to ledgerline-recon and publish 0.1.0 to TestPyPI."),
            (
                "assistant",
                'pyproject.toml: name = "ledgerline-recon"; the package '
                "directory and the `ledgerline` command are unchanged.",
            ),
            (
                "tool",
                "$ hatch publish -r test\nledgerline_recon-0.1.0-py3-none-any.whl ... success",
            ),
            ("user", "README usage section with one example per command."),
            (
                "assistant",
                "README.md now shows import, match and report on the fixture "
                "files, with the output of each. TODO: a GIF of a real session.",
            ),
        ),
        accomplishments="Picked a new distribution name: ledgerline-recon (the TestPyPI "
        "upload rejection is fixed; the import name is unchanged)\n"
        "Published 0.1.0 to TestPyPI\nWrote the README usage section",
        next_steps="Support OFX files\nAdd a --since filter to match",
        credits=300,
        files=(
            ("pyproject.toml", "modified", 3, 3, 3),
            ("README.md", "modified", 58, 4, 3),
        ),
    ),
)

KNOWLEDGE: tuple[tuple[str, str, str, str, str, str, int], ...] = (
    # project, category, title, body, tags, title of the source session, times used
    (
        ATLAS,
        "error_solution",
        "Stripe webhook signature fails: verify the raw body",
        "`stripe.Webhook.construct_event` must get the exact bytes Stripe signed. In FastAPI "
        "read `await request.body()`; a `dict` parameter re-serialises the JSON and the "
        "signature no longer matches.",
        "stripe,fastapi,webhooks",
        "Fix the Stripe webhook",
        3,
    ),
    (
        ATLAS,
        "best_practice",
        "Allow CDN hosts for next/image explicitly",
        "Add the CDN to `images.remotePatterns` in next.config.ts; without it next/image "
        "refuses remote sources in development and production alike.",
        "nextjs,images",
        "Product detail page and CDN images",
        1,
    ),
    (
        LEDGER,
        "pattern",
        "Detect ambiguous date formats from the data",
        "Scan the whole column: a first field above 12 means DD/MM, a second field above 12 "
        "means MM/DD; fall back to the source's profile only when neither appears.",
        "csv,dates,parsing",
        "Date detection and the matcher",
        2,
    ),
    (
        NIGHTJAR,
        "optimization",
        "Interpolate short sensor gaps before not_null tests",
        "Linear interpolation over a window partitioned by station, for gaps up to 2 hours; "
        "flag longer gaps instead of inventing data.",
        "dbt,duckdb,data-quality",
        "Sensor gaps and the incremental model",
        2,
    ),
    (
        NIGHTJAR,
        "tip",
        "Key incremental merges on the natural grain",
        "fct_daily_weather merges on (station_id, day); a surrogate key would duplicate rows "
        "on re-runs.",
        "dbt,incremental",
        "Sensor gaps and the incremental model",
        0,
    ),
)

# The rotation briefing: from the session that emptied genspark-spare to the one after it.
ROTATION_FROM = "dbt staging models"
ROTATION_TO = "Sensor gaps and the incremental model"


# --- Loading -------------------------------------------------------------------------------


class _JoinedDatabase(Database):
    """A Database whose units of work all join one outer transaction on one connection,
    so that the whole demo load commits or rolls back as one."""

    def __init__(self, connection: Connection) -> None:
        super().__init__(connection.engine)
        self._connection = connection

    @contextmanager
    def unit(self) -> Iterator[Session]:
        with (
            Session(
                bind=self._connection,
                expire_on_commit=False,
                join_transaction_mode="rollback_only",
            ) as session,
            session.begin(),
        ):
            yield session


def _aware(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _next_reset(cadence: str, now: datetime) -> datetime | None:
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    if cadence == "daily":
        return midnight + timedelta(days=1)
    if cadence == "weekly":
        return midnight + timedelta(days=7 - midnight.weekday())
    if cadence == "monthly":
        first = midnight.replace(day=1)
        return (first + timedelta(days=32)).replace(day=1)
    return None


def _first_titles() -> dict[str, str]:
    """The title of each demo project's session #1 (sessions are started oldest first)."""
    titles: dict[str, str] = {}
    for spec in sorted(SESSIONS, key=lambda spec: spec.ago, reverse=True):
        titles.setdefault(spec.project, spec.title)
    return titles


@dataclass(frozen=True)
class _DemoState:
    """What the database holds under the names the demo uses."""

    loaded: list[str]  # demo projects that are there as the demo made them
    taken_projects: list[str]  # the names of other projects in the demo's way
    taken_accounts: list[str]


def _demo_state(db: Database) -> _DemoState:
    """Tell the demo's own projects from the user's projects that merely share a name.

    A project is the demo's when it has the demo's name exactly and either the demo's
    description or, for one whose description was edited since, the demo's title on its
    session #1 (titles are never edited). Names are compared ignoring case, as the services
    do, for what is in the way.
    """
    titles = _first_titles()
    wanted = {project.name.casefold(): project for project in PROJECTS}
    wanted_accounts = {account.name.casefold() for account in ACCOUNTS}
    loaded: list[str] = []
    taken: list[str] = []
    with db.unit() as session:
        rows = session.exec(select(Project.id, Project.name, Project.description)).all()
        for project_id, name, description in rows:
            spec = wanted.get(name.casefold())
            if spec is None:
                continue
            first_title = session.exec(
                select(WorkSession.title).where(
                    WorkSession.project_id == project_id, WorkSession.number == 1
                )
            ).first()
            if name == spec.name and (
                description == spec.description or first_title == titles[spec.name]
            ):
                loaded.append(name)
            else:
                taken.append(name)
        accounts = [
            name
            for name in session.exec(select(Account.name)).all()
            if name.casefold() in wanted_accounts
        ]
    return _DemoState(loaded=loaded, taken_projects=sorted(taken), taken_accounts=sorted(accounts))


def _update(db: Database, model: type[Any], row_id: int, **values: Any) -> None:
    with db.unit() as session:
        session.exec(update(model).where(model.id == row_id).values(**values))


def load_demo(db: Database, now: datetime | None = None) -> DemoResult:
    """Load the demo data set, dated relative to ``now`` (default: the current time).

    Already loaded (a demo project is there as the demo made it; the load is all or
    nothing, so one proves the rest): nothing is added. Refused with a ConflictError, and
    nothing written, when projects or accounts of the user's own have names the demo uses
    (ignoring case).
    """
    moment = _aware(now or datetime.now(UTC))
    with db.engine.connect() as connection, connection.begin():
        joined = _JoinedDatabase(connection)
        state = _demo_state(joined)
        if state.loaded:
            return DemoResult(already_loaded=True)
        taken = [f"project {name!r}" for name in state.taken_projects]
        taken += [f"account {name!r}" for name in state.taken_accounts]
        if taken:
            raise ConflictError(
                "The demo data uses names that are already taken here: "
                + ", ".join(taken)
                + ". Rename those (or delete the accounts), or load the demo into another "
                "database (--db PATH)."
            )
        return _load(joined, moment)


def _load(db: Database, now: datetime) -> DemoResult:
    ordered = sorted(SESSIONS, key=lambda spec: spec.ago, reverse=True)
    first_start = {
        project.name: now - max(s.ago for s in SESSIONS if s.project == project.name)
        for project in PROJECTS
    }
    project_ids: dict[str, int] = {}
    for project in PROJECTS:
        summary = project_service.create_project(db, project.name, project.description)
        created = first_start[project.name] - timedelta(days=2, hours=3)
        _update(db, Project, summary.id, created_at=created, updated_at=created)
        project_ids[project.name] = summary.id

    account_ids: dict[str, int] = {}
    for index, account in enumerate(ACCOUNTS):
        view = account_service.create_account(
            db,
            account_service.AccountFields(
                name=account.name,
                platform=account.platform,
                credit_limit=account.credit_limit,
                specialization=account.specialization,
                reset_cadence=account.reset_cadence,
                notes=account.notes,
            ),
        )
        created = now - timedelta(days=60 - index, hours=index)
        _update(
            db,
            Account,
            view.id,
            created_at=created,
            next_reset_at=_next_reset(account.reset_cadence, now),
        )
        account_ids[account.name] = view.id

    session_ids: list[int] = [0] * len(SESSIONS)
    turns = handoffs = files = 0
    for spec in ordered:
        started_at = now - spec.ago
        ended_at = started_at + timedelta(minutes=spec.minutes)
        started = session_service.start_session(
            db,
            spec.project,
            account=spec.account,
            objectives=spec.objectives,
            session_type=spec.session_type,
            title=spec.title,
        )
        session_id = started.session.id
        session_ids[SESSIONS.index(spec)] = session_id
        _update(db, WorkSession, session_id, started_at=started_at, git_branch=spec.branch)
        step = timedelta(minutes=spec.minutes) / (len(spec.turns) + 1)
        with db.unit() as session:
            turns += turn_repo.append(
                session,
                session_id,
                (
                    (role, text, started_at + step * (position + 1), None)
                    for position, (role, text) in enumerate(spec.turns)
                ),
            )
            for path, change, added, removed, importance in spec.files:
                session.add(
                    ProjectFile(
                        project_id=project_ids[spec.project],
                        session_id=session_id,
                        path=path,
                        change=change,
                        lines_added=added,
                        lines_removed=removed,
                        importance=importance,
                        created_at=ended_at,
                    )
                )
                files += 1
        if spec.credits is None:
            continue
        session_service.complete_session(
            db, session_id, spec.credits, spec.accomplishments, spec.blockers, spec.next_steps
        )
        _update(db, WorkSession, session_id, ended_at=ended_at)
        generated = handoff_service.generate_handoff(db, session_id)
        _update(db, Handoff, generated.id, created_at=ended_at + timedelta(minutes=1))
        handoffs += 1
        if spec.edit_note:
            edited = handoff_service.save_edit(
                db, session_id, generated.content.rstrip("\n") + "\n\n" + spec.edit_note + "\n"
            )
            _update(db, Handoff, edited.id, created_at=ended_at + timedelta(minutes=25))
            handoffs += 1

    queue_items = _add_rotation(db, project_ids, account_ids, session_ids, now)
    knowledge = _add_knowledge(db, now, project_ids, session_ids)
    _settle(db, now, project_ids, account_ids)
    return DemoResult(
        projects=len(PROJECTS),
        accounts=len(ACCOUNTS),
        sessions=len(SESSIONS),
        in_progress=sum(1 for spec in SESSIONS if spec.credits is None),
        turns=turns,
        handoffs=handoffs,
        project_files=files,
        knowledge_items=knowledge,
        queue_items=queue_items,
    )


def _index(title: str) -> int:
    return next(i for i, spec in enumerate(SESSIONS) if spec.title == title)


def _add_rotation(
    db: Database,
    project_ids: dict[str, int],
    account_ids: dict[str, int],
    session_ids: list[int],
    now: datetime,
) -> int:
    """The briefing written when genspark-spare ran dry on Nightjar ETL, which the next
    session (on chatgpt-plus-sam) picked up."""
    ran_dry = SESSIONS[_index(ROTATION_FROM)]
    with db.unit() as session:
        session.add(
            HandoffQueueItem(
                project_id=project_ids[NIGHTJAR],
                from_account_id=account_ids["genspark-spare"],
                to_account_id=account_ids["chatgpt-plus-sam"],
                from_account_name="genspark-spare",
                to_account_name="chatgpt-plus-sam",
                content=(
                    "Rotation: genspark-spare is exhausted (0 of 2,000 credits left). Continue "
                    "Nightjar ETL on chatgpt-plus-sam (dbt, SQL). Open: dbt test not_null "
                    "fails on stg_readings.temperature_c (312 sensor gaps). Next: decide how "
                    "to treat sensor gaps; incremental model fct_daily_weather."
                ),
                status="consumed",
                created_at=now - ran_dry.ago + timedelta(minutes=ran_dry.minutes + 2),
                consumed_by_session_id=session_ids[_index(ROTATION_TO)],
            )
        )
    return 1


def _add_knowledge(
    db: Database, now: datetime, project_ids: dict[str, int], session_ids: list[int]
) -> int:
    with db.unit() as session:
        for project, category, title, body, tags, source_title, uses in KNOWLEDGE:
            source = _index(source_title)
            spec = SESSIONS[source]
            written = now - spec.ago + timedelta(minutes=spec.minutes + 5)
            session.add(
                KnowledgeItem(
                    project_id=project_ids[project],
                    category=category,
                    title=title,
                    body=body,
                    tags=tags,
                    source_session_id=session_ids[source],
                    usage_count=uses,
                    created_at=written,
                    updated_at=written,
                )
            )
    return len(KNOWLEDGE)


def _settle(
    db: Database, now: datetime, project_ids: dict[str, int], account_ids: dict[str, int]
) -> None:
    """Final touches: last-used times from the sessions, blocked accounts, archives."""
    with db.unit() as session:
        for account in ACCOUNTS:
            account_id = account_ids[account.name]
            last = session.exec(
                select(func.max(func.coalesce(WorkSession.ended_at, WorkSession.started_at))).where(
                    WorkSession.account_id == account_id
                )
            ).one()
            values: dict[str, Any] = {"last_used_at": as_utc(last)}
            if account.final_status:
                values["status"] = account.final_status
            session.exec(update(Account).where(col(Account.id) == account_id).values(**values))
    for project in PROJECTS:
        if project.archived:
            project_service.set_archived(db, project_ids[project.name], True)
            last_end = max(
                now - s.ago + timedelta(minutes=s.minutes)
                for s in SESSIONS
                if s.project == project.name
            )
            _update(db, Project, project_ids[project.name], updated_at=last_end + timedelta(3))
