"""The files of ``egnet init``: a minimal, valid, commented inventory (pure data).

One province, one city, one county, one township, a provincial government cloud: every tier once,
so validate, render, check and plan all have something to work on. Names are placeholders
(示例省 …) to be replaced with one's own; the comments say what each key means.
"""

from __future__ import annotations

NETWORK_YAML = """\
# network.yaml: network-wide settings. Everything here is validated strictly (unknown keys are
# errors); `egnet validate DIR` prints every problem with its file, line and column.
network:
  name: example                 # short ASCII name (used in file names and exports)
  label: 示例省电子政务外网        # display name

# Carriers that provide circuits (name: {label}).
carriers:
  telecom: {label: 中国电信}
  unicom: {label: 中国联通}
  mobile: {label: 中国移动}
  own: {label: 自建光纤}

# Circuit types: nominal rate and the rate usable for traffic (e.g. SDH overhead removed).
# Rates: 155.52M, 2.5G, 100Mbps, 20 Mb/s.
circuit_types:
  sdh_stm1: {label: SDH STM-1 155M, nominal: 155.52M, usable: 149.76M}
  mstp_100m: {label: MSTP 100M, nominal: 100M, usable: 100M}
  mstp_20m: {label: MSTP 20M, nominal: 20M, usable: 20M}
  fibre_100m: {label: township fibre 100M, nominal: 100M, usable: 100M}
  core_10g: {label: core interconnect 10G, nominal: 10G, usable: 10G}

# Device models → platform (huawei_vrp, hp_comware, cisco_ios, frr); ports come from the hardware
# catalogue of the platform (templates/<platform>/hardware.yaml).
device_models:
  NE40E-X8A: {platform: huawei_vrp, vendor: huawei, kind: router}
  AR6300: {platform: huawei_vrp, vendor: huawei, kind: router}
  AR6120: {platform: huawei_vrp, vendor: huawei, kind: router}
  S5735-L: {platform: huawei_vrp, vendor: huawei, kind: switch}
  ISR4451-X: {platform: cisco_ios, vendor: cisco, kind: router}

# Features each role needs from its platform (checked during validation).
roles:
  core: {requires: [ospf, bgp, l3vpn, ssh, snmpv3]}
  access: {requires: [ospf, ssh, snmpv3]}
  service: {requires: [ssh, snmpv3]}
  cloud_gw: {requires: [ospf, bgp, l3vpn]}

# Defaults per tier; a site overrides them in its own entry (cores, buildings, core_model, uplinks…).
tiers:
  province:
    core_model: NE40E-X8A
    interconnect: core_10g      # the circuit between a site's two cores
    egress:                     # Internet egress per core
      - {core: 1, carrier: telecom, rate: 1G}
      - {core: 2, carrier: unicom, rate: 1G}
  city:
    core_model: NE40E-X8A
    interconnect: core_10g
    uplinks:   # two circuits to two different parent cores over two different carriers
      - {local: 1, remote: 1, type: sdh_stm1, carrier: telecom}
      - {local: 2, remote: 2, type: sdh_stm1, carrier: unicom}
    egress:    # 分级出口: every level's internet leaves at its own egress, not over the uplinks
      - {core: 1, carrier: telecom, rate: 1G}
  county:
    core_model: AR6300
    interconnect: core_10g
    uplinks:
      - {local: 1, remote: 1, type: mstp_100m, carrier: telecom}
      - {local: 2, remote: 2, type: mstp_100m, carrier: mobile}
    egress:
      - {core: 1, carrier: telecom, rate: 200M}
  township:
    access_model: AR6120        # the township's access router
    service_model: S5735-L      # the service-centre switch behind it
    uplinks:   # single-homed by design (an accepted risk); add a second one per site if needed
      - {remote: auto, type: mstp_20m, carrier: telecom}
    service: {type: fibre_100m, carrier: own}
  cloud:
    gateway_model: ISR4451-X
    gateways: 2
    cloud_link: core_10g

# Address pools (allocated deterministically into ipam.lock.json by `egnet ipam sync`).
pools:
  loopback: 198.18.0.0/24
  p2p: 198.18.16.0/22
  p2p_prefix: 30
  mgmt: 198.19.0.0/24

igp: {protocol: ospf, reference_bandwidth: 100G, area: 0.0.0.0, max_paths: 4}
bgp: {asn: 64512}

# Zones (VRFs): address pool and the block size each tier's site gets.
zones:
  public: {label: 公用网络区, kind: public, pool: 10.0.0.0/16, vpn_id: 100,
           site_prefix: {province: 24, city: 25, county: 26, township: 27, cloud: 24}}
  internet: {label: 互联网接入区, kind: internet, pool: 10.1.0.0/16, vpn_id: 200,
             site_prefix: {province: 24, city: 25, county: 26, cloud: 24}}
  mgmt: {label: 管理区, kind: management, pool: 10.2.0.0/16, vpn_id: 900,
         site_prefix: {province: 26, city: 27, county: 27, township: 28}}

# Utilisation thresholds of the capacity plan.
policy: {warn: 70%, fail: 80%}

# Management plane: each site's out-of-band ports in the site's own subnet of pools.mgmt (first
# host: the site's management gateway), routed in the management VRF toward the NMS of the centre
# serving it: the province's for province, city and cloud sites, the city's for county and
# township sites (`centres:` changes that). Drop `plane:` for one flat management LAN.
management:
  plane:
    site_prefix: {province: 28, city: 28, county: 29, township: 29, cloud: 29}

# Secrets are never written here: `egnet secrets init` creates a vault; see README "Secrets".
"""

PROVINCE_YAML = """\
# province.yaml: the province site and its government cloud.
province:
  id: example                   # ASCII id; hostnames derive from it (example-core1, example-core2)
  name: 示例省
  code: "99"                    # administrative division code (quote it: it is text)
  cloud:
    id: example-cloud
    label: 省级政务云
    zones: [public, internet]
    applications:
      - {name: oa, label: 协同办公, zone: public}
      - {name: portal, label: 政府门户网站, zone: internet, area: internet}
"""

CITY_YAML = """\
# cities/<code>-<id>.yaml: one city, its county-level nodes and their townships.
# Add a file per city; `egnet import csv` or `egnet generate` can write them from a spreadsheet.
city:
  id: shili                     # ASCII id (pinyin); unique in the network
  name: 示例市
  code: "9901"
  counties:
    - id: shili-dongxian        # county-level node: county, district, county_city or dev_zone
      name: 东县
      code: "990121"
      kind: county
      # per-site overrides go here, e.g. `cores: 1` or a faster `uplinks:` list
      townships:
        - {id: dongxian-qiaotou, name: 桥头镇, code: "990121101", kind: town}
"""

DEMANDS_YAML = """\
# demands.yaml (optional): the busy-hour demand model of `egnet plan`. Every number is a planning
# assumption; replace with measured loads (`egnet plan --measured`) once the poller runs.
demands:
  - {name: backup, src: example-cloud, dst: shili, rate: 10M}
events:
  # a province-wide cascaded video conference: 4 Mb/s per stream x 1.2 network overhead
  - {name: province-video-conference, kind: cascaded_conference, rate: 4M, overhead: 1.2}
"""

GITIGNORE = """\
# secrets and build output never go into git
.vault.yaml
build/
"""

FILES: dict[str, str] = {
    "network.yaml": NETWORK_YAML,
    "province.yaml": PROVINCE_YAML,
    "cities/9901-shili.yaml": CITY_YAML,
    "demands.yaml": DEMANDS_YAML,
    ".gitignore": GITIGNORE,
}
