"""Network-namespace emulation of an all-FRR inventory (``egnet lab up|status|down``).

What ``lab up`` builds (recorded in ``<root>/state.json``; ``lab down`` removes exactly that):

- one namespace per router, ``eg-<hostname>``, with its own UTS hostname for every daemon;
- one veth pair per circuit, named as in the model (``eth<N>``), shaped both ways with ``tc tbf``
  to ``Circuit.capacity_bps``;
- the NMS namespace ``eg-nms`` holding bridge ``egbr0`` (address: first host of the management
  subnet, e.g. 198.19.0.1/24) with every router's ``mgmt0`` attached (peer ``mg-<id>``); tools
  reach routers from there: ``ip netns exec eg-nms …``, or a socket from
  :func:`deploy.transport.netns_socket`;
- per router, under ``<root>/eg-<hostname>/``: FRR (zebra, staticd, ospfd, bgpd, ldpd, vrrpd; own vty
  socket folder ``run/`` and config folder ``etc/``), sshd on the management address (login user's
  shell is :mod:`lab.router_shell`: vtysh plus ``egnet check|commit-confirmed|confirm|rollback``), and
  net-snmp's snmpd on the management address (v2c community and a v3 authPriv SHA/AES user;
  ``ifName`` is the Linux interface name).

Secrets (environment ``EGNET_SECRET_<NAME>`` or the vault): ``ssh_username``, ``ssh_password``,
``snmp_community``, ``snmp_v3_user``, ``snmp_v3_auth_key``, ``snmp_v3_priv_key``; deploy also reads
``ssh_key_file`` (the lab writes a key pair to ``<root>/ssh/id_ed25519``).
"""
