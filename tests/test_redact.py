"""Secret redaction: every kind is found in the shapes transcripts hold, nothing else is.

The fake secrets are assembled at run time (prefixes split, bodies drawn from a seeded
generator), so this file does not look like it leaks anything to a secret scanner.
"""

from __future__ import annotations

import base64
import json
import random
import string
from collections import Counter

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from orchestrator_tui.redact import (
    KINDS,
    MARKER_RE,
    find_secrets,
    marker,
    redact,
    redact_counting,
)

ALNUM = string.ascii_letters + string.digits
URLSAFE = ALNUM + "-_"
_rng = random.Random(20240611)


def body(length: int, alphabet: str = ALNUM) -> str:
    """Random characters, with at least one digit, upper- and lower-case letter, as real
    tokens have."""
    while True:
        chars = "".join(_rng.choice(alphabet) for _ in range(length))
        if alphabet != ALNUM or (
            any(c.isdigit() for c in chars)
            and any(c.isupper() for c in chars)
            and any(c.islower() for c in chars)
        ):
            return chars


def jwt() -> str:
    def segment(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    header = segment(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    payload = segment(json.dumps({"sub": "1234567890", "name": "Jo", "iat": 1516239022}).encode())
    return f"{header}.{payload}.{segment(_rng.randbytes(32))}"


def pem(label: str, lines: int = 6) -> str:
    data = base64.b64encode(_rng.randbytes(48 * lines)).decode()
    rows = [data[i : i + 64] for i in range(0, len(data), 64)]
    dashes = "-" * 5
    head = f"{dashes}BEGIN {label}PRIVATE" + f" KEY{dashes}"
    tail = f"{dashes}END {label}PRIVATE" + f" KEY{dashes}"
    return "\n".join([head, *rows, tail])


SLACK_HOOK_URL = "https://hooks.slack.com/services/"

# (kind, the secret as it appears in text); every shape is a realistic one
TOKENS: list[tuple[str, str]] = [
    ("huggingface-token", "hf" + "_" + body(34)),
    ("openai-key", "sk" + "-" + body(48)),
    ("openai-key", "sk" + "-proj-" + body(120, URLSAFE) + "A"),
    ("openai-key", "sk" + "-svcacct-" + body(80, URLSAFE) + "A"),
    ("anthropic-key", "sk" + "-ant-api03-" + body(93, URLSAFE) + "AA"),
    ("github-token", "gh" + "p_" + body(36)),
    ("github-token", "gh" + "o_" + body(36)),
    ("github-token", "gh" + "s_" + body(36)),
    ("github-token", "github" + "_pat_" + "11" + body(20) + "_" + body(59)),
    ("gitlab-token", "gl" + "pat-" + body(20, URLSAFE)),
    ("gitlab-token", "gl" + "dt-" + body(20)),
    ("gitlab-token", "gl" + "rt-" + body(20)),
    ("slack-token", "xo" + "xb-" + body(12, string.digits) + "-" + body(13, string.digits)),
    ("slack-token", "xo" + "xp-" + body(12, string.digits) + "-" + body(32)),
    ("aws-access-key", "AK" + "IA" + body(16, string.ascii_uppercase + string.digits)),
    ("aws-access-key", "AS" + "IA" + body(16, string.ascii_uppercase + string.digits)),
    ("jwt", jwt()),
]
SLACK_HOOK_PATH = "T" + body(8, "ABCDEFGH0123") + "/B" + body(8, "ABCDEFGH0123") + "/" + body(24)
AWS_SECRET = body(40, ALNUM + "/+")

# § marks where the secret goes
CONTEXTS = [
    "§",
    "My token is § - keep it safe.",
    "Use §.",
    "(§)",
    "`§`",
    '"§"',
    '{"value": "§", "n": 1}',
    "export THING=§\n",
    "first line\n§\nlast line",
    "\t§\t",
    "- item: §",
    "'§',",
    "API_TOKEN=§",
    'headers = {"Authorization": "Bearer §"}',
    "voilà: § ✓",
]


def plant(template: str, secret: str) -> str:
    return template.replace("§", secret)


@pytest.mark.parametrize(
    ("kind", "secret"), TOKENS, ids=[f"{k}-{i}" for i, (k, _) in enumerate(TOKENS)]
)
def test_tokens_are_replaced_and_nothing_else(kind: str, secret: str) -> None:
    for template in CONTEXTS:
        out = redact(plant(template, secret))
        assert secret not in out
        assert out == plant(template, marker(kind)), template
        assert redact(out) == out


def test_slack_webhook_keeps_its_host() -> None:
    for template in CONTEXTS:
        out = redact(plant(template, SLACK_HOOK_URL + SLACK_HOOK_PATH))
        assert SLACK_HOOK_PATH not in out
        assert out == plant(template, SLACK_HOOK_URL + marker("slack-token")), template


def test_anthropic_keys_are_not_called_openai() -> None:
    key = dict(TOKENS)["anthropic-key"]
    assert find_secrets(f"ANTHROPIC_API_KEY={key}")[0].kind == "anthropic-key"
    assert redact(key) == "[REDACTED:anthropic-key]"


def test_value_holding_a_token_takes_the_token_kind() -> None:
    key = "sk" + "-" + body(48)
    assert redact(f"OPENAI_API_KEY={key}") == "OPENAI_API_KEY=[REDACTED:openai-key]"
    assert redact(f'"apiKey": "{key}"') == '"apiKey": "[REDACTED:openai-key]"'


@pytest.mark.parametrize(
    "label", ["RSA ", "EC ", "OPENSSH ", "DSA ", "ENCRYPTED ", "", "PGP "], ids=repr
)
def test_private_key_blocks_go_whole(label: str) -> None:
    block = pem(label)
    if label == "PGP ":
        block = block.replace("KEY-----", "KEY BLOCK-----")
        block = block.replace("-----\n", "-----\nVersion: GnuPG v2\n\n", 1)
    text = f"Here is the key:\n{block}\nand the rest of the message."
    out = redact(text)
    assert out == "Here is the key:\n[REDACTED:private-key]\nand the rest of the message."
    assert "PRIVATE" not in out


def test_private_key_in_json_with_escaped_newlines() -> None:
    block = pem("").replace("\n", "\\n") + "\\n"
    text = '{"type": "service_account", "private_key": "' + block + '", "client_id": "1"}'
    out = redact(text)
    assert out == (
        '{"type": "service_account", "private_key": "[REDACTED:private-key]", "client_id": "1"}'
    )


def test_private_key_cut_before_its_end_line() -> None:
    block = pem("RSA ", lines=4)
    cut = block[: block.index("-----END") - 30]  # also cuts the last line short
    out = redact("cat id_rsa\n" + cut)
    assert out == "cat id_rsa\n[REDACTED:private-key]"


def test_two_private_keys_keep_the_text_between() -> None:
    text = f"{pem('RSA ')}\nbetween\n{pem('EC ')}"
    assert redact(text) == "[REDACTED:private-key]\nbetween\n[REDACTED:private-key]"


# (text with § for the password, the password)
URL_PASSWORDS = [
    ("postgres://admin:§@db.example.com:5432/app", "s3cr3t-P4ss"),
    ("DATABASE_URL=mongodb+srv://app:§@cluster0.mongodb.net/?retryWrites=true", "Xy9%21zz"),
    ("redis://:§@localhost:6379/0", "hunter2"),
    ("clone https://bob:§@git.example.org/repo.git now", "p@ss:w0rd"),
    ('"url": "amqp://guest:§@rabbit:5672"', "Gu3st!"),
]


@pytest.mark.parametrize(("template", "password"), URL_PASSWORDS)
def test_url_passwords_keep_scheme_user_and_host(template: str, password: str) -> None:
    assert redact(plant(template, password)) == plant(template, marker("url-password"))


# (text with § for the value, the value, the kind of its marker)
ASSIGNMENTS = [
    ("OPENAI_API_KEY=§", "abc123XYZ", "secret-assignment"),
    ("export DB_PASSWORD=§", "Tr0ub4dor&3", "secret-assignment"),
    ("export DB_PASSWORD='§'", "p@ss w0rd", "secret-assignment"),
    ("DB_PASSWORD=§\nDB_USER=app", "postgres", "secret-assignment"),
    ("db:\n  password: §\n  user: app", "hunter2", "secret-assignment"),
    ("db_password: § # dev only", "hunter", "secret-assignment"),
    ('{"apiKey": "§", "model": "x"}', "abc123", "secret-assignment"),
    ('{"apiKey":"§"}', "abc123", "secret-assignment"),
    ('client_secret = "§"', "s3cr3t", "secret-assignment"),
    ("level=info password=§ user=bob", "hunter2", "secret-assignment"),
    ("X-Api-Key: §", "0a1b2c3d4e5f", "secret-assignment"),
    ("curl -H 'X-Auth-Token: §' x", "t0k3n", "secret-assignment"),
    ("GET /v1/data?api_key=§&format=json", "abcdef", "secret-assignment"),
    ('\\"token\\": \\"§\\"', "abc123", "secret-assignment"),
    ("'auth_token' => '§'", "abc123", "secret-assignment"),
    ("requests.get(u, auth_token=§)", "abc123", "secret-assignment"),
    ("APIKEY=§; next", "abc123", "secret-assignment"),
    ("Password: §", "hunter2", "secret-assignment"),
    ("MYSQL_PWD=§", "abc123", "secret-assignment"),
    ("passwd = '§'", "geheim$parole", "secret-assignment"),
    ('$env:SERVICE_TOKEN = "§"', "zzz111", "secret-assignment"),
    ("aws_secret_access_key = §", AWS_SECRET, "aws-access-key"),
    ('"SecretAccessKey": "§",', AWS_SECRET, "aws-access-key"),
    ("résumé ✓ 🔑 API_KEY=§ ünd", "abc123", "secret-assignment"),  # offsets past non-ASCII
]


@pytest.mark.parametrize(("template", "value", "kind"), ASSIGNMENTS)
def test_secret_assignments_keep_the_name(template: str, value: str, kind: str) -> None:
    assert redact(plant(template, value)) == plant(template, marker(kind))


FALSE_POSITIVES = [
    "pip install scikit-learn; import sklearn as sk; sk-learn is its old name",
    "task-runner-for-everything-and-more, disk-usage-report-for-all-volumes",
    "sk-learn-contrib-extras-package",
    "task-5f2b9c8e1d3a4b6c7e8f9a0b1c2d, desk-1a2b3c4d5e6f7a8b9c0d1e2f3a",  # ids, not keys
    "wshf_" + body(34) + " noghp_" + body(36),
    "commit 3f44d42a9b5e1c2d3e4f5a6b7c8d9e0f1a2b3c4d (HEAD -> main)",
    "uuid 123e4567-e89b-12d3-a456-426614174000 and ULID 01ARZ3NDEKTSV4RRFFQ69G5FAV",
    "data:image/png;base64," + base64.b64encode(random.Random(7).randbytes(3000)).decode(),
    "password: the user must enter it on the next screen",
    "Token: a word used by the parser",
    "The keyboard shortcut key: Enter.",
    "/home/user/.ssh/id_rsa and C:\\Users\\me\\keys\\id_ed25519",
    "ssl_key: /etc/ssl/private/server.key",
    "SSH_KEY=~/.ssh/id_ed25519",
    "https://example.com/path?q=1#top http://localhost:8080/ git@github.com:org/repo.git",
    "ssh://git@host:22/x and user:pass@host without a scheme",
    "API_KEY=",
    'API_KEY=""',
    "TOKEN=<your-token>",
    "api_key: <YOUR API KEY>",
    "SECRET=${SECRET}",
    "PASSWORD=$DB_PASSWORD",
    "TOKEN=***",
    "API_KEY=xxx",
    "PASSWORD=changeme",
    "token: ${{ secrets.GITHUB_TOKEN }}",
    "api_key: your-api-key-here",
    "OPENAI_API_KEY=sk-...",
    "client = OpenAI(api_key=api_key)",
    "secret_key = settings.SECRET_KEY",
    "token = os.environ['GITHUB_TOKEN']",
    "password = getpass()",
    "apiKey: process.env.API_KEY,",
    'print(f"password={password!r}")',
    "def read(self, name, pwd=None):",
    "api_key: str | None = None",
    "self.key = 0; new_key = 1; ERRORTOKEN = 58",
    "monkey=banana, hotkey: ctrl+c, key=value, turkey: roasted",
    "Field(primary_key=True, foreign_key='user.id')",
    "public_key: ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl",
    "next_page_token: abc123",
    "max_tokens=4096, temperature=0.2",
    "postgres://user:" + "<password>" + "@localhost/db and redis://:${REDIS_PASS}@cache",
    "Token: '#cccccc', Keyword: '#ff0000'",
    "[REDACTED:openai-key] and password=[REDACTED:secret-assignment]",
    "",
]


def test_ordinary_text_is_left_alone() -> None:
    assert [(text, find_secrets(text)) for text in FALSE_POSITIVES if find_secrets(text)] == []
    assert [text for text in FALSE_POSITIVES if redact(text) != text] == []


def test_markers_are_never_touched_even_inside_secret_shapes() -> None:
    text = (
        'API_KEY="[REDACTED:openai-key]" https://u:'
        + "[REDACTED:url-password]"
        + "@h token=[REDACTED:jwt]"
    )
    assert redact(text) == text
    assert [m.group() for m in MARKER_RE.finditer(redact(text))] == [
        "[REDACTED:openai-key]",
        "[REDACTED:url-password]",
        "[REDACTED:jwt]",
    ]


def test_counts_and_spans() -> None:
    github = dict(TOKENS)["github-token"]
    token = jwt()
    text = (
        f"a {github} b {github}\nAuthorization: Bearer {token}\n"
        "db = postgres://app:" + "Pa55word" + "@db/app\nDB_PASSWORD=postgres\n"
    )
    findings = find_secrets(text)
    assert [(f.kind, text[f.start : f.end]) for f in findings] == [
        ("github-token", github),
        ("github-token", github),
        ("jwt", token),
        ("url-password", "Pa55word"),
        ("secret-assignment", "postgres"),
    ]
    out, counts = redact_counting(text)
    assert counts == Counter(
        {"github-token": 2, "jwt": 1, "url-password": 1, "secret-assignment": 1}
    )
    assert out == (
        "a [REDACTED:github-token] b [REDACTED:github-token]\n"
        "Authorization: Bearer [REDACTED:jwt]\n"
        "db = postgres://app:" + "[REDACTED:url-password]" + "@db/app\n"
        "DB_PASSWORD=[REDACTED:secret-assignment]\n"
    )
    assert redact_counting(out) == (out, Counter())


def test_every_kind_is_covered_by_these_tests() -> None:
    planted = {kind for kind, _ in TOKENS} | {
        "slack-token",
        "private-key",
        "url-password",
        "secret-assignment",
    }
    assert planted == set(KINDS)


# --- Properties ----------------------------------------------------------------------------

ASSIGNMENT_VALUE = st.text(alphabet=ALNUM + "!%^*+-_@", min_size=6, max_size=30).filter(
    lambda value: any(c.isdigit() for c in value) and any(c.isalpha() for c in value)
)
# text around a planted secret: anything, and fragments that look like parts of secrets
FRAGMENTS = [
    "key", "Key", "api_key", "TOKEN", "password", ":", "=", " ", '"', "'", "\n", "\\n",
    "\\\"", "sk-", "hf_", "ghp_", "eyJ", "AKIA", "://", "@", ",", ";", "(", ")", "[", "]",
    "[REDACTED:", "[REDACTED:jwt]", "-----BEGIN RSA " + "PRIVATE KEY-----", "?", "&", "-", "_",
    ".", "abc123", "0123456789ABCDEFGHIJ", "é", "✓",
]  # fmt: skip
NOISE = st.lists(st.sampled_from(FRAGMENTS) | st.text(max_size=8), max_size=12).map("".join)
SEPARATORS = st.sampled_from([" ", "\n", "\t", " (", ") ", ", ", ' "', '" ', " `"])


@st.composite
def planted_secret(draw: st.DrawFn) -> tuple[str, str]:
    """(text, the secret planted in it)"""
    choice = draw(st.integers(0, len(TOKENS) + 2))
    if choice < len(TOKENS):
        kind, example = TOKENS[choice]
        tail = len(example) - len(example) // 2
        secret = example[: len(example) // 2] + draw(
            st.text(alphabet=ALNUM, min_size=tail, max_size=tail + 20)
        )
        if kind in ("aws-access-key", "slack-token", "jwt"):
            secret = example  # fixed lengths or separators: keep the realistic one
        planted = secret
    elif choice == len(TOKENS):
        secret = draw(ASSIGNMENT_VALUE)
        planted = draw(st.sampled_from(["API_KEY=", "db_password=", "export SECRET_TOKEN="]))
        planted += secret
    elif choice == len(TOKENS) + 1:
        secret = draw(ASSIGNMENT_VALUE)
        planted = "postgres://app:" + secret + "@db.internal/app"
    else:
        secret = pem("RSA ", lines=2)
        planted = secret
    text = draw(NOISE) + draw(SEPARATORS) + planted + draw(SEPARATORS) + draw(NOISE)
    return text, secret


@settings(max_examples=300, deadline=None)
@given(planted_secret())
def test_a_planted_secret_never_survives(case: tuple[str, str]) -> None:
    text, secret = case
    assume(text.count(secret) == 1)  # the noise around it may not hold a copy
    out = redact(text)
    assert secret not in out
    assert redact(out) == out


@settings(max_examples=300, deadline=None)
@given(NOISE)
def test_redaction_of_anything_is_idempotent_and_keeps_markers(text: str) -> None:
    out, counts = redact_counting(text)
    assert redact(out) == out
    assert find_secrets(out) == []
    assert len(MARKER_RE.findall(out)) == len(MARKER_RE.findall(text)) + sum(counts.values())


def test_overlapping_findings_are_merged() -> None:
    block = pem("RSA ", lines=2)
    cut = block[: block.index("-----END")]  # no END line: the key runs into what follows
    token = jwt()
    out = redact(f"{cut}{token} trailing words")
    assert out == "[REDACTED:private-key] trailing words"
