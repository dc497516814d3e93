"""Network-namespace emulation of an all-FRR inventory (``egnet lab up|status|down``).

What ``lab up`` builds (recorded in ``<root>/state.json``; ``lab down`` removes exactly that):

- one namespace per router, ``eg-<hostname>``, with its own UTS hostname for every daemon;
- one veth pair per circuit, named as in the model (``eth<N>``), shaped both ways with ``tc tbf``
  to ``Circuit.capacity_bps``;
- the NMS namespace ``eg-nms`` holding bridge ``egbr0`` (address: first host of the management
  subnet, e.g. 198.19.0.1/24) with every router's ``mgmt0`` attached (peer ``mg-<id>``); tools
  reach routers from there: ``ip netns exec eg-nms …``, or a socket from
  :func:`lab.netns.netns_socket` (the one way egnet enters a namespace);
- per router, under ``<root>/eg-<hostname>/``: FRR (zebra, staticd, ospfd, bgpd, ldpd, vrrpd; own vty
  socket folder ``run/`` and config folder ``etc/``), sshd on the management address (login user's
  shell is :mod:`lab.router_shell`: vtysh plus ``egnet check|commit-confirmed|confirm|rollback``), and
  net-snmp's snmpd on the management address (v2c community and a v3 authPriv SHA/AES user;
  ``ifName`` is the Linux interface name).

``lab status`` also compares each router's FRR RIB with its kernel FIB (:mod:`lab.fib`: FRR 8.4
leaves kernel ECMP groups short after a link flap) and ``--repair`` restores them; :mod:`lab.paths`
traces the kernels' forwarding paths for comparison with a prediction (``egnet deploy`` after a
rollout into the lab).

Secrets (environment ``EGNET_SECRET_<NAME>`` or the vault): ``ssh_username``, ``ssh_password``,
``snmp_community``, and the two key secrets of the model's NMS SNMPv3 user (first entry of
``management.snmp_users``, default ``egnet-nms`` with ``snmp_v3_auth_key``, ``snmp_v3_priv_key``:
the user the configs create and the poller uses); deploy also reads
``ssh_key_file`` (the lab writes a key pair to ``<root>/ssh/id_ed25519``).
``egnet lab up`` generates every lab secret that is not set into ``build/lab-secrets.yaml``
(mode 0600, reused on later runs; :func:`egnet.secrets_cmds.lab_secrets`).
"""
