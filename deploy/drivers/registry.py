"""Which driver handles a platform: chosen by the platform's safe-commit feature (data, no if-chains)."""

from __future__ import annotations

from collections.abc import Callable

from deploy.drivers.base import DeviceDriver
from deploy.drivers.frr import FrrDriver
from deploy.drivers.napalm_ios import NapalmIosDriver
from deploy.drivers.netmiko_native import ComwareDriver, VrpDriver
from deploy.transport import Credentials, Endpoint, JumpHost, SocketOpener
from topology.diagnostics import OperationError
from topology.model import Platform, Topology

Builder = Callable[[str, Platform, Endpoint, Credentials], DeviceDriver]

BY_FEATURE: dict[str, Builder] = {
    "commit_reload": lambda h, p, e, c: FrrDriver(h, e, c),
    "commit_revert": lambda h, p, e, c: NapalmIosDriver(h, p, e, c),
    "commit_trial": lambda h, p, e, c: VrpDriver(h, p, e, c),
    "commit_delay": lambda h, p, e, c: ComwareDriver(h, p, e, c),
}


def builder_for(platform: Platform) -> Builder:
    """Return the driver builder for ``platform``'s safe-commit feature.

    Examples:
        >>> from topology.platforms import PLATFORMS
        >>> builder_for(PLATFORMS["frr"]) is BY_FEATURE["commit_reload"]
        True
    """
    for feature, builder in BY_FEATURE.items():
        if feature in platform.features:
            return builder
    raise OperationError(
        f"platform '{platform.name}' has no safe-commit feature "
        f"(one of {', '.join(BY_FEATURE)}); egnet will not push to it"
    )


def driver_factory(
    topo: Topology,
    creds: Credentials,
    opener: SocketOpener | None,
    timeout: float = 10.0,
    jump: JumpHost | None = None,
) -> Callable[[str], DeviceDriver]:
    """Return ``hostname -> new driver`` for devices of ``topo`` reached via their mgmt address
    (TCP sockets from ``opener`` when given, e.g. inside the lab's NMS namespace)."""

    def make(hostname: str) -> DeviceDriver:
        dev = topo.devices[hostname]
        platform = topo.platforms[dev.platform]
        ep = Endpoint(
            host=dev.mgmt_address.split("/")[0], opener=opener, timeout=timeout, jump=jump
        )
        return builder_for(platform)(hostname, platform, ep, creds)

    return make
