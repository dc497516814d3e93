"""Secrets by name: from the environment or an uncommitted vault file, never the inventory.

Lookup order for a secret named ``ospf_key``:

1. environment variable ``EGNET_SECRET_OSPF_KEY``;
2. the vault file: ``$EGNET_VAULT`` if set, else ``.vault.yaml`` in the current folder
   (git-ignored) — a YAML mapping ``name: value``, either encrypted with ansible-vault (the
   password from ``$EGNET_VAULT_PASSWORD`` or the file named by ``$EGNET_VAULT_PASSWORD_FILE``) or
   plaintext (accepted with a warning);
3. an optional fallback mapping (the lab's generated secrets).

The module also holds the secret *policy*: which secrets a purpose (render, deploy, poll, lab)
needs, and what each must hold (:func:`secret_rules`, :func:`check_secrets`), and the generator of
strong values (:func:`generate_value`).
"""

from __future__ import annotations

import enum
import logging
import os
import re
import secrets as _random
import string
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Protocol

import yaml
from pydantic import BaseModel, ConfigDict

from topology.diagnostics import OperationError
from topology.management import Management, ManagementIn, resolve_management

log = logging.getLogger(__name__)

ENV_PREFIX = "EGNET_SECRET_"
DEFAULT_VAULT = ".vault.yaml"
VAULT_PASSWORD_ENV = "EGNET_VAULT_PASSWORD"
VAULT_PASSWORD_FILE_ENV = "EGNET_VAULT_PASSWORD_FILE"
ANSIBLE_VAULT_HEADER = "$ANSIBLE_VAULT;"
MAX_VAULT_BYTES = 1_000_000
MAX_SECRET_LEN = 256


class SecretSource(Protocol):
    """Anything that resolves a secret by name (:class:`Secrets`, or a test double)."""

    def get(self, name: str, device: str | None = None) -> str: ...


class MissingSecret(OperationError):
    """A secret the work needs is neither in the environment nor in the vault."""


def env_name(name: str) -> str:
    """Return the environment variable that holds secret ``name``.

    Examples:
        >>> env_name("ospf-key")
        'EGNET_SECRET_OSPF_KEY'
    """
    return ENV_PREFIX + re.sub(r"[^A-Za-z0-9]", "_", name).upper()


def vault_password(env: Mapping[str, str]) -> str | None:
    """Return the vault password from ``EGNET_VAULT_PASSWORD`` or ``EGNET_VAULT_PASSWORD_FILE``."""
    if env.get(VAULT_PASSWORD_ENV):
        return env[VAULT_PASSWORD_ENV]
    file = env.get(VAULT_PASSWORD_FILE_ENV)
    if not file:
        return None
    try:
        text = Path(file).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise OperationError(f"{VAULT_PASSWORD_FILE_ENV}={file}: cannot read: {exc}") from None
    password = text.strip("\r\n")
    if not password:
        raise OperationError(f"{VAULT_PASSWORD_FILE_ENV}={file}: the file is empty")
    return password


def encrypt_vault(plaintext: str, password: str) -> str:
    """Encrypt text in the ansible-vault 1.1 AES256 format (``ansible-vault view`` opens it)."""
    from ansible.parsing.vault import (  # type: ignore[import-untyped]  # heavy: only when needed
        VaultLib,
        VaultSecret,
    )

    lib = VaultLib([("default", VaultSecret(password.encode("utf-8")))])
    return str(lib.encrypt(plaintext).decode("ascii"))


def decrypt_vault(text: str, password: str, where: Path) -> str:
    """Decrypt an ansible-vault file's text; a wrong password is a one-line error."""
    from ansible.errors import AnsibleError  # type: ignore[import-untyped]
    from ansible.parsing.vault import VaultLib, VaultSecret

    lib = VaultLib([("default", VaultSecret(password.encode("utf-8")))])
    try:
        data: bytes = lib.decrypt(text)
    except AnsibleError:
        raise OperationError(
            f"{where}: cannot decrypt the vault (wrong {VAULT_PASSWORD_ENV} or damaged file)"
        ) from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise OperationError(f"{where}: decrypted vault is not UTF-8 text") from None


def parse_vault(text: str, where: Path) -> dict[str, str]:
    """Parse a vault's YAML text into name → value (values must be scalars)."""
    try:
        data = yaml.safe_load(text) or {}
    except yaml.YAMLError as exc:
        raise OperationError(f"{where}: vault is not valid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise OperationError(f"{where}: vault must be a mapping of secret name to value")
    out: dict[str, str] = {}
    for k, v in data.items():
        if isinstance(v, dict | list) or v is None:
            raise OperationError(f"{where}: secret '{k}' must be a single text value")
        out[str(k)] = str(v)
    return out


def read_vault(path: Path, env: Mapping[str, str]) -> dict[str, str]:
    """Read a vault file (ansible-vault encrypted or plaintext YAML)."""
    if not path.is_file():
        raise OperationError(f"{path}: vault is not a regular file")
    if path.stat().st_size > MAX_VAULT_BYTES:
        raise OperationError(f"{path}: vault is larger than {MAX_VAULT_BYTES} bytes")
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise OperationError(f"{path}: cannot read the vault: {exc}") from None
    if text.startswith(ANSIBLE_VAULT_HEADER):
        password = vault_password(env)
        if password is None:
            raise OperationError(
                f"{path}: the vault is encrypted; set {VAULT_PASSWORD_ENV} or "
                f"{VAULT_PASSWORD_FILE_ENV}"
            )
        return parse_vault(decrypt_vault(text, password, path), path)
    log.warning(
        "%s: plaintext vault; encrypt it with `ansible-vault encrypt %s` and set %s",
        path,
        path,
        VAULT_PASSWORD_FILE_ENV,
    )
    if path.stat().st_mode & 0o077:
        log.warning("%s: vault is readable by other users; chmod 600 it", path)
    return parse_vault(text, path)


class Secrets:
    """Resolves secrets by name; reads the vault once."""

    def __init__(
        self,
        env: Mapping[str, str] | None = None,
        vault: Path | None = None,
        fallback: Mapping[str, str] | None = None,
    ) -> None:
        self.env = dict(os.environ if env is None else env)
        path = vault or Path(self.env.get("EGNET_VAULT", DEFAULT_VAULT))
        self.vault_path = path
        self.vault: dict[str, str] = read_vault(path, self.env) if path.exists() else {}
        self.fallback = dict(fallback or {})

    def lookup(self, name: str) -> str | None:
        """Return the secret ``name`` or ``None`` when it is set nowhere."""
        return self.env.get(env_name(name)) or self.vault.get(name) or self.fallback.get(name)

    def get(self, name: str, device: str | None = None) -> str:
        """Return the secret ``name``; raise :class:`MissingSecret` naming the device and secret."""
        value = self.lookup(name)
        if value:
            return value
        who = f"device {device}: " if device else ""
        raise MissingSecret(
            f"{who}missing secret '{name}': set {env_name(name)} or add '{name}: …' to {self.vault_path}"
        )


# --- policy ---------------------------------------------------------------------------------


class Purpose(enum.StrEnum):
    """What a set of secrets is for."""

    RENDER = "render"
    DEPLOY = "deploy"
    POLL = "poll"
    LAB = "lab"


class SecretKind(enum.StrEnum):
    PASSWORD = "password"
    KEY = "key"
    USERNAME = "username"
    COMMUNITY = "community"
    PATH = "path"


class SecretRule(BaseModel):
    """What one named secret must hold, and why."""

    model_config = ConfigDict(frozen=True, extra="forbid", strict=True)

    name: str
    kind: SecretKind
    purposes: tuple[Purpose, ...]
    min_length: int
    max_length: int
    why: str
    optional: bool = False


class SecretProblem(BaseModel):
    """A missing or weak secret (the value itself is never carried)."""

    model_config = ConfigDict(frozen=True, extra="forbid", strict=True)

    name: str
    problem: str
    purposes: tuple[Purpose, ...]


#: characters a generated or accepted key/password may hold: none that a vendor CLI reads as a
#: separator, comment, pipe, help request or quote (space ! # % | ? " ' \ and control characters)
SAFE_PUNCTUATION = "-_.@*+=~,:/"
_SAFE = set(string.ascii_letters + string.digits + SAFE_PUNCTUATION)
_USERNAME = re.compile(r"^[a-z_][a-z0-9_.-]{0,31}$")
WEAK_COMMUNITIES = frozenset({"public", "private", "community", "snmp", "admin"})


def secret_rules(mgmt: Management | None = None) -> list[SecretRule]:
    """Every secret egnet may read, with the policy each must meet.

    Minimums: local-user passwords at least the ``management.password.min_length`` the rendered
    configs enforce on the devices; SNMPv3 keys at least 8 characters (RFC 3414 §11.2: shorter
    passphrases are refused by conforming agents, net-snmp included); OSPF MD5 keys at most 16 (the
    key size of keyed MD5 on IOS, Comware and FRR, RFC 2328 D.3); other shared keys at least 8.

    Examples:
        >>> rules = {r.name: r for r in secret_rules()}
        >>> rules["user_netadmin"].min_length, rules["snmp_v3_auth_key"].min_length
        (12, 8)
        >>> rules["ospf_key"].max_length
        16
    """
    mg = mgmt or resolve_management(ManagementIn())
    pw = mg.password.min_length
    R, D, P, L = Purpose.RENDER, Purpose.DEPLOY, Purpose.POLL, Purpose.LAB
    out: dict[str, SecretRule] = {}

    def add(
        name: str,
        kind: SecretKind,
        purposes: tuple[Purpose, ...],
        length: tuple[int, int],
        why: str,
        optional: bool = False,
    ) -> None:
        """Add a rule; a secret named twice keeps every purpose and the stricter bounds."""
        rule = SecretRule(
            name=name,
            kind=kind,
            purposes=purposes,
            min_length=length[0],
            max_length=length[1],
            why=why,
            optional=optional,
        )
        old = out.get(name)
        if old is None:
            out[name] = rule
            return
        out[name] = old.model_copy(
            update={
                "purposes": tuple(dict.fromkeys((*old.purposes, *rule.purposes))),
                "min_length": max(old.min_length, rule.min_length),
                "max_length": min(old.max_length, rule.max_length),
            }
        )

    policy = f"the password policy the configs enforce (management.password.min_length {pw})"
    PW, KEY, USER = SecretKind.PASSWORD, SecretKind.KEY, SecretKind.USERNAME
    for u in mg.users:
        add(u.secret, PW, (R,), (pw, 64), f"password of local user {u.name}: {policy}")
    for s in mg.snmp_users:
        for name, what in ((s.auth_secret, "auth"), (s.priv_secret, "priv")):
            add(name, KEY, (R,), (8, 64), f"SNMPv3 {what} key of {s.name}: RFC 3414 needs >= 8")
    add(
        mg.ospf_key_secret,
        KEY,
        (R, L),
        (8, 16),
        "OSPF MD5 key: 8 to 16 characters (keyed MD5 holds 16)",
    )
    add(
        mg.bgp_password_secret,
        KEY,
        (R, L),
        (8, 25),
        "BGP TCP-MD5 password: 8 to 25 characters (the IOS neighbor password limit)",
    )
    add(
        mg.ntp_key_secret,
        KEY,
        (R,),
        (8, 32),
        "NTP authentication key (HMAC-SHA-256): 8 to 32 characters",
    )
    add(mg.ldp_key_secret, KEY, (R,), (8, 16), "LDP TCP-MD5 password: 8 to 16 characters")
    add(mg.aaa.key_secret, KEY, (R,), (8, 64), "AAA shared key: 8 to 64 characters")
    add(
        "ssh_username",
        USER,
        (D, L),
        (1, 32),
        "login user for deploy (lowercase, a POSIX user name)",
    )
    add("ssh_password", PW, (D, L), (pw, 64), f"login password for deploy: {policy}")
    add(
        "ssh_key_file",
        SecretKind.PATH,
        (D,),
        (1, 4096),
        "SSH private key file (optional)",
        optional=True,
    )
    add("snmp_v3_user", USER, (P, L), (1, 32), "SNMPv3 user name the poller uses")
    for name in ("snmp_v3_auth_key", "snmp_v3_priv_key"):
        add(name, KEY, (P, L), (8, 64), "SNMPv3 key: RFC 3414 needs >= 8")
    add(
        "snmp_community",
        SecretKind.COMMUNITY,
        (L,),
        (8, 32),
        "SNMPv2c community of the lab agents: >= 8, not a default",
    )
    return list(out.values())


def rules_for(
    rules: Iterable[SecretRule], purposes: Iterable[Purpose], only: Iterable[str] | None = None
) -> list[SecretRule]:
    """The rules of ``purposes``; for RENDER only the names in ``only`` (what the configs read)."""
    want = set(purposes)
    needed = None if only is None else set(only)
    out = []
    for r in rules:
        hit = want & set(r.purposes)
        if hit == {Purpose.RENDER} and needed is not None and r.name not in needed:
            continue
        if hit:
            out.append(r)
    return out


def weakness(rule: SecretRule, value: str) -> str | None:
    """Return why ``value`` does not meet ``rule`` (never quoting the value), or ``None``.

    Examples:
        >>> r = {x.name: x for x in secret_rules()}
        >>> weakness(r["snmp_v3_auth_key"], "abcde")
        'too short: 5 characters, needs at least 8 (SNMPv3 auth key of egnet-nms: RFC 3414 needs >= 8)'
        >>> weakness(r["ospf_key"], "abc def12") is not None
        True
        >>> weakness(r["user_noc"], "Tr0ub4dor-Horse") is None
        True
    """
    if rule.kind is SecretKind.PATH:
        return None if Path(value).is_file() else "not a readable file"
    if any(not c.isprintable() or c in "\u2028\u2029" for c in value):
        return "holds control or line-separator characters"
    if rule.kind is SecretKind.USERNAME:
        if not _USERNAME.match(value):
            return "must match ^[a-z_][a-z0-9_.-]{0,31}$"
        return None
    if len(value) < rule.min_length:
        return f"too short: {len(value)} characters, needs at least {rule.min_length} ({rule.why})"
    if len(value) > rule.max_length:
        return f"too long: {len(value)} characters, at most {rule.max_length} ({rule.why})"
    bad = sorted({c for c in value if c not in _SAFE})
    if bad:
        return (
            f"holds {len(bad)} character(s) a device CLI may interpret (space, quotes, ! # % | ? \\ …); "
            f"use letters, digits and {SAFE_PUNCTUATION}"
        )
    if not value[0].isalpha():
        return "must start with a letter (IOS reads a leading digit as an encryption type)"
    if rule.kind is SecretKind.COMMUNITY and value.lower() in WEAK_COMMUNITIES:
        return "a well-known default community"
    if rule.kind is SecretKind.PASSWORD:
        classes = sum(
            any(c in group for c in value)
            for group in (string.ascii_lowercase, string.ascii_uppercase, string.digits)
        )
        if classes < 3:
            return (
                "needs lower-case letters, upper-case letters and digits (device complexity check)"
            )
    if len(set(value)) < 4:
        return "too few distinct characters"
    return None


def check_secrets(
    lookup: Callable[[str], str | None], rules: Iterable[SecretRule]
) -> list[SecretProblem]:
    """Return every missing or weak secret among ``rules``, in rule order (one pass, all of them)."""
    out: list[SecretProblem] = []
    for rule in rules:
        value = lookup(rule.name)
        if not value:
            if not rule.optional:
                out.append(SecretProblem(name=rule.name, problem="missing", purposes=rule.purposes))
            continue
        if len(value) > MAX_SECRET_LEN:
            out.append(SecretProblem(name=rule.name, problem="too long", purposes=rule.purposes))
            continue
        why = weakness(rule, value)
        if why:
            out.append(SecretProblem(name=rule.name, problem=why, purposes=rule.purposes))
    return out


def generate_value(rule: SecretRule) -> str:
    """Return a strong random value meeting ``rule`` (letters and digits, every class present).

    Examples:
        >>> r = {x.name: x for x in secret_rules()}
        >>> all(weakness(x, generate_value(x)) is None for x in r.values() if x.kind != "path")
        True
        >>> len(generate_value(r["ospf_key"]))
        16
    """
    if rule.kind is SecretKind.USERNAME:
        return "egnet" + "".join(_random.choice(string.ascii_lowercase) for _ in range(4))
    if rule.kind is SecretKind.PATH:
        raise ValueError(f"{rule.name}: a path is not generated")
    length = min(rule.max_length, max(rule.min_length, 24))
    alphabet = string.ascii_letters + string.digits
    while True:
        value = "".join(_random.choice(alphabet) for _ in range(length))
        if weakness(rule, value) is None:
            return value


def vault_text(values: Mapping[str, str], header: str) -> str:
    """Return the YAML text of a vault (a comment header, then ``name: value`` lines)."""
    lines = [f"# {line}" if line else "#" for line in header.splitlines()]
    body = yaml.safe_dump(
        dict(values), sort_keys=True, allow_unicode=True, default_flow_style=False
    )
    return "\n".join(lines) + "\n" + body


def write_vault_file(path: Path, text: str, *, force: bool = False) -> None:
    """Write ``text`` to ``path`` with mode 0600 from the first byte (refuse to overwrite unless
    ``force``; never through a symlink). A missing parent folder is created with the usual mode:
    the file's own mode protects it, and folders such as ``build/`` must stay searchable."""
    path.parent.mkdir(parents=True, exist_ok=True)
    flags = os.O_WRONLY | os.O_CREAT | (os.O_TRUNC if force else os.O_EXCL)
    try:
        fd = os.open(path, flags | getattr(os, "O_NOFOLLOW", 0), 0o600)
    except FileExistsError:
        raise OperationError(f"{path}: exists; pass --force to overwrite it") from None
    except OSError as exc:
        raise OperationError(f"{path}: cannot write: {exc.strerror}") from None
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        os.fchmod(fh.fileno(), 0o600)
        fh.write(text)
