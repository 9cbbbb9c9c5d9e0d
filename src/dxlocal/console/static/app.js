// dxlocal console (docs/console.md). Everything shown comes from the server's own answers:
// the Direct Connect API (as the selected account) and the /_dxlocal control API. The page
// computes nothing the server does not serve; it only arranges the answers.
"use strict";

const $ = (id) => document.getElementById(id);
const S = {
  account: "", region: "", bgp: "sim", seq: null,
  data: emptyData(), faults: [], sessions: [], selected: null, generation: 0,
};

function emptyData() {
  return {
    connections: [], lags: [], interconnects: [], vifs: [], gateways: [],
    associations: {}, attachments: {}, proposals: [], hosted: {},
  };
}

// --- talking to the server -------------------------------------------------------------

class ServiceError extends Error {
  constructor(code, message) { super(`${code}: ${message}`); this.code = code; }
}

async function api(operation, params = {}) {
  // awsJson 1.1, as boto3 sends it; the credential scope names the account and Region.
  const scope = `${S.account}/20260101/${S.region}/directconnect/aws4_request`;
  const res = await fetch("/", {
    method: "POST",
    headers: {
      "content-type": "application/x-amz-json-1.1",
      "x-amz-target": `OvertureService.${operation}`,
      "authorization": `AWS4-HMAC-SHA256 Credential=${scope}, SignedHeaders=host, Signature=console`,
    },
    body: JSON.stringify(params),
  });
  const body = await res.json().catch(() => ({}));
  if (!res.ok) throw new ServiceError(body.__type || res.status, body.message || body.Message || "");
  return body;
}

async function control(method, path, body) {
  const res = await fetch(`/_dxlocal${path}`, {
    method,
    headers: { "content-type": "application/json" },
    body: method === "GET" || method === "DELETE" ? undefined : JSON.stringify(body || {}),
  });
  const out = await res.json().catch(() => ({}));
  if (!res.ok) throw new ServiceError(out.__type || res.status, out.message || "");
  return out;
}

async function all(operation, params, key) {
  // Follow nextToken like a paginator.
  let out = [], token;
  do {
    const page = await api(operation, token ? { ...params, nextToken: token } : params);
    out = out.concat(page[key] || []);
    token = page.nextToken;
  } while (token);
  return out;
}

// --- loading ---------------------------------------------------------------------------

async function loadAll() {
  const gen = ++S.generation;
  const [connections, lags, interconnects, vifs, gateways, proposals] = await Promise.all([
    api("DescribeConnections").then((r) => r.connections || []),
    api("DescribeLags").then((r) => r.lags || []),
    api("DescribeInterconnects").then((r) => r.interconnects || []),
    api("DescribeVirtualInterfaces").then((r) => r.virtualInterfaces || []),
    all("DescribeDirectConnectGateways", { maxResults: 100 }, "directConnectGateways"),
    all("DescribeDirectConnectGatewayAssociationProposals", { maxResults: 100 },
      "directConnectGatewayAssociationProposals").catch(() => []),
  ]);
  const data = { ...emptyData(), connections, lags, interconnects, vifs, gateways, proposals };
  await Promise.all([
    ...gateways.map((g) => loadGateway(data, g.directConnectGatewayId)),
    ...interconnects.map((i) => loadHosted(data, i.interconnectId)),
  ]);
  if (gen !== S.generation) return; // a newer load has started
  S.data = data;
  await loadFaults();
  render();
}

async function loadGateway(data, gwId) {
  const [assocs, attachments] = await Promise.all([
    all("DescribeDirectConnectGatewayAssociations",
      { directConnectGatewayId: gwId, maxResults: 100 }, "directConnectGatewayAssociations"),
    all("DescribeDirectConnectGatewayAttachments",
      { directConnectGatewayId: gwId, maxResults: 100 }, "directConnectGatewayAttachments"),
  ]);
  data.associations[gwId] = assocs;
  data.attachments[gwId] = attachments;
}

async function loadHosted(data, portId) {
  try {
    data.hosted[portId] = (await api("DescribeHostedConnections", { connectionId: portId })).connections || [];
  } catch { data.hosted[portId] = []; }
}

async function loadFaults() {
  try { S.faults = (await control("GET", "/faults")).faults; } catch { S.faults = []; }
}

async function loadSessions() {
  if (S.bgp !== "live") return;
  try { S.sessions = (await control("GET", "/bgp/sessions")).sessions || []; }
  catch { S.sessions = []; }
}

// One changed record, fetched again by its id; whatever is not targeted reloads everything.
const TARGETED = {
  connection: ["connections", "DescribeConnections", "connectionId", "connections"],
  lag: ["lags", "DescribeLags", "lagId", "lags"],
  interconnect: ["interconnects", "DescribeInterconnects", "interconnectId", "interconnects"],
  virtualInterface: ["vifs", "DescribeVirtualInterfaces", "virtualInterfaceId", "virtualInterfaces"],
};

async function refresh(changes) {
  const kinds = new Set(changes.map((c) => c.kind));
  const targeted = [...kinds].every((k) => k in TARGETED || k === "fault" || k === "timer");
  if (!targeted || changes.length > 50) return loadAll();
  const gen = S.generation;
  await Promise.all(changes.filter((c) => c.kind in TARGETED).map(async (c) => {
    const [list, op, idKey, outKey] = TARGETED[c.kind];
    let fresh = [];
    try { fresh = (await api(op, { [idKey]: c.id }))[outKey] || []; } catch { fresh = []; }
    if (gen !== S.generation) return;
    const items = S.data[list].filter((r) => r[idKey] !== c.id);
    S.data[list] = items.concat(fresh.filter((r) => r[idKey] === c.id));
  }));
  await loadFaults();
  const vifsOnly = changes.every((c) => c.kind === "virtualInterface" || c.kind === "fault");
  if (vifsOnly && patchVifs(changes.filter((c) => c.kind === "virtualInterface").map((c) => c.id))) {
    renderFaults();
    if (S.selected) renderDetails();
    settleLater();
  } else {
    render();
  }
}

// Redraw only the changed VIFs' branches (a session flapping on one VIF among thousands);
// false when the topology's shape may have changed, and everything is redrawn instead.
function patchVifs(ids) {
  const items = [];
  for (const id of ids) {
    const vif = S.data.vifs.find((v) => v.virtualInterfaceId === id);
    const el = document.querySelector(`#locations .node[data-kind="virtualInterface"][data-id="${CSS.escape(id)}"]`);
    const parent = el?.closest("li")?.parentElement?.closest("li")?.querySelector(".node");
    if (!vif || !el || parent?.dataset.id !== vif.connectionId) return false;
    items.push([el.closest("li"), vif]);
  }
  const focused = document.activeElement;
  const refocus = focused?.dataset?.kind === "virtualInterface" || focused?.dataset?.kind === "bgpPeer"
    ? [focused.dataset.kind, focused.dataset.id] : null;
  for (const [li, vif] of items) li.outerHTML = vifNode(vif);
  if (refocus) {
    document.querySelector(`.node[data-kind="${refocus[0]}"][data-id="${CSS.escape(refocus[1])}"]`)?.focus();
  }
  return true;
}

async function follow() {
  // The change feed: a request that waits until something commits (long polling).
  for (;;) {
    try {
      if (S.seq === null) {
        S.seq = (await control("POST", "/changes", {})).seq;
        setLive(true);
        await loadAll();
        continue;
      }
      const r = await control("POST", "/changes", { since: S.seq, wait: 25 });
      setLive(true);
      if (r.reset) { S.seq = r.seq; await loadAll(); continue; }
      S.seq = r.seq;
      // The lab's traffic samples (docs/failures.md#traffic) change nothing shown here.
      const changes = r.changes.filter((c) => c.kind !== "trafficSeries");
      if (changes.length) {
        logActivity(changes);
        await refresh(changes);
      }
    } catch (err) {
      setLive(false, err.message);
      await new Promise((ok) => setTimeout(ok, 1000));
    }
  }
}

function setLive(on, why) {
  $("live").classList.toggle("on", on);
  $("live-text").textContent = on ? "live: changes appear as they commit" : `reconnecting… ${why || ""}`;
}

// --- rendering -------------------------------------------------------------------------

const esc = (v) => String(v ?? "").replace(/[&<>"']/g, (c) => ({
  "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));

const OK = new Set(["available", "up", "associated", "attached", "accepted", "completed", "confirmed"]);
const GONE = new Set(["deleting", "deleted", "disassociating", "disassociated", "detaching", "detached", "cancelled"]);
const BAD = new Set(["down", "rejected", "failed", "unknown"]);

function badge(state) {
  const s = state || "unknown";
  const cls = OK.has(s) ? "ok" : BAD.has(s) ? "bad" : GONE.has(s) ? "gone" : "warn";
  const mark = { ok: "●", bad: "▼", gone: "○", warn: "◐" }[cls];
  return `<span class="badge ${cls}" data-state="${esc(s)}"><span aria-hidden="true">${mark}</span> ${esc(s)}</span>`;
}

function node(kind, id, label, name, state, facts, extra = "") {
  const current = S.selected && S.selected.kind === kind && S.selected.id === id;
  return `<button type="button" class="node" data-kind="${esc(kind)}" data-id="${esc(id)}"` +
    ` aria-current="${current}"><span class="kind">${esc(label)}</span>` +
    `<span class="name">${esc(name)}</span> <span class="id">${esc(id)}</span> ${badge(state)}` +
    (facts ? ` <span class="facts">${esc(facts)}</span>` : "") + extra + "</button>";
}

function peerNodes(vif) {
  return (vif.bgpPeers || []).map((p) => `<li>${node("bgpPeer", p.bgpPeerId, "peer",
    `${p.addressFamily} AS${p.asnLong || p.asn}`, p.bgpStatus,
    `${p.bgpPeerState} · ${p.amazonAddress || ""} ↔ ${p.customerAddress || ""}`)}</li>`).join("");
}

function vifNode(vif) {
  const owner = vif.ownerAccount !== S.account ? ` <span class="xacct">hosted: owner ${esc(vif.ownerAccount)}</span>` : "";
  const facts = [vif.virtualInterfaceType, `VLAN ${vif.vlan}`, vif.rateLimit ? `rate ${vif.rateLimit}` : "",
    vif.directConnectGatewayId ? `→ ${vif.directConnectGatewayId}` : vif.virtualGatewayId ? `→ ${vif.virtualGatewayId}` : "",
    vif.siteLinkEnabled ? "SiteLink" : ""].filter(Boolean).join(" · ");
  return `<li>${node("virtualInterface", vif.virtualInterfaceId, "vif", vif.virtualInterfaceName,
    vif.virtualInterfaceState, facts, owner)}<ul>${peerNodes(vif)}</ul></li>`;
}

function portFacts(p) {
  return [p.bandwidth || p.connectionsBandwidth, p.awsDeviceV2,
    p.macSecCapable ? `MACsec ${p.portEncryptionStatus || ""}` : "",
    p.partnerName ? `partner ${p.partnerName}` : ""].filter(Boolean).join(" · ");
}

function renderLocations() {
  const d = S.data;
  const byParent = {};
  for (const v of d.vifs) (byParent[v.connectionId] ||= []).push(v);
  const locs = {};
  const at = (code) => (locs[code] ||= { lags: [], conns: [], ics: [] });
  for (const l of d.lags) at(l.location).lags.push(l);
  for (const c of d.connections) if (!c.lagId || !d.lags.some((l) => l.lagId === c.lagId)) at(c.location).conns.push(c);
  for (const i of d.interconnects) at(i.location).ics.push(i);
  const vifsOf = (id) => (byParent[id] || []).map(vifNode).join("");
  const conn = (c) => {
    const xacct = c.ownerAccount !== S.account ? ` <span class="xacct">hosted: owner ${esc(c.ownerAccount)}</span>` : "";
    return `<li>${node("connection", c.connectionId, c.lagId ? "member" : "conn", c.connectionName,
      c.connectionState, portFacts(c), xacct)}<ul>${vifsOf(c.connectionId)}</ul></li>`;
  };
  const codes = Object.keys(locs).sort();
  if (!codes.length) return `<h3>Locations</h3><p class="empty">No connections, LAGs or interconnects in ${esc(S.region)} for ${esc(S.account)}.</p>`;
  return "<h3>Locations</h3>" + codes.map((code) => {
    const l = locs[code];
    const lags = l.lags.map((g) => {
      const members = d.connections.filter((c) => c.lagId === g.lagId);
      return `<li>${node("lag", g.lagId, "lag", g.lagName, g.lagState,
        `${g.numberOfConnections} × ${g.connectionsBandwidth} · min links ${g.minimumLinks} · ${g.awsDeviceV2 || ""}`)}` +
        `<ul>${members.map(conn).join("")}${vifsOf(g.lagId)}${hostedOf(g.lagId)}</ul></li>`;
    }).join("");
    const ics = l.ics.map((i) => `<li>${node("interconnect", i.interconnectId, "ic", i.interconnectName,
      i.interconnectState, portFacts(i))}<ul>${hostedOf(i.interconnectId)}</ul></li>`).join("");
    return `<div class="loc"><h3><button type="button" class="node" data-kind="location" data-id="${esc(code)}"` +
      ` aria-current="${S.selected?.kind === "location" && S.selected.id === code}">` +
      `<span class="kind">location</span><span class="name">${esc(code)}</span></button></h3>` +
      `<ul class="tree">${lags}${l.conns.map(conn).join("")}${ics}</ul></div>`;
  }).join("");
}

function hostedOf(portId) {
  return (S.data.hosted[portId] || []).map((h) => `<li>${node("connection", h.connectionId, "hosted",
    h.connectionName, h.connectionState, `${h.bandwidth} · VLAN ${h.vlan}`,
    ` <span class="xacct">customer ${esc(h.ownerAccount)}</span>`)}</li>`).join("");
}

function renderGateways() {
  const d = S.data;
  if (!d.gateways.length && !d.proposals.length) return "";
  const gws = d.gateways.map((g) => {
    const gid = g.directConnectGatewayId;
    const assocs = (d.associations[gid] || []).map((a) => {
      const gw = a.associatedGateway || {};
      const prefixes = (a.allowedPrefixesToDirectConnectGateway || []).map((p) => p.cidr).join(", ");
      const xacct = gw.ownerAccount && gw.ownerAccount !== S.account ? ` <span class="xacct">account ${esc(gw.ownerAccount)}</span>` : "";
      return `<li>${node("association", a.associationId, gw.type === "transitGateway" ? "tgw" : "vgw",
        gw.id, a.associationState, `${gw.region || ""} · allowed ${prefixes || "none"}`, xacct)}</li>`;
    }).join("");
    const atts = (d.attachments[gid] || []).map((t) => {
      const xacct = t.virtualInterfaceOwnerAccount !== S.account ? ` <span class="xacct">account ${esc(t.virtualInterfaceOwnerAccount)}</span>` : "";
      return `<li>${node("virtualInterface", t.virtualInterfaceId, "attach", t.virtualInterfaceId,
        t.attachmentState, `${t.virtualInterfaceRegion} · ${t.attachmentType || ""}`, xacct)}</li>`;
    }).join("");
    const props = d.proposals.filter((p) => p.directConnectGatewayId === gid).map((p) =>
      `<li>${node("proposal", p.proposalId, "proposal", p.associatedGateway?.id, p.proposalState,
        `from ${p.associatedGateway?.ownerAccount || ""}`, ` <span class="xacct">cross-account</span>`)}</li>`).join("");
    return `<li>${node("directConnectGateway", gid, "dxgw", g.directConnectGatewayName,
      g.directConnectGatewayState, `ASN ${g.amazonSideAsn}`)}<ul>${assocs}${atts}${props}</ul></li>`;
  }).join("");
  return `<h3>Direct Connect gateways</h3><ul class="tree">${gws}</ul>`;
}

function render() {
  const focused = document.activeElement?.classList?.contains("node")
    ? [document.activeElement.dataset.kind, document.activeElement.dataset.id] : null;
  $("locations").innerHTML = renderLocations();
  $("gateways").innerHTML = renderGateways();
  if (focused) {
    const again = document.querySelector(`.node[data-kind="${CSS.escape(focused[0])}"][data-id="${CSS.escape(focused[1])}"]`);
    if (again) again.focus();
  }
  renderFaults();
  renderSessions();
  if (S.selected) renderDetails();
  document.body.dataset.seq = String(S.seq);
  settleLater();
}

// A transitional state (requested, pending, deleting, …) moves on with dxlocal's clock, not
// with a write, so no change is published when it does: while any record shown is in one,
// ask the API for those records again a moment later.
const SETTLED = new Set([...OK, ...BAD, "deleted", "disassociated", "detached", "cancelled"]);
let settleTimer = null;
function settleLater() {
  if (settleTimer) return;
  const moving = [];
  for (const [kind, [list, , idKey, ]] of Object.entries(TARGETED)) {
    const stateKey = { connections: "connectionState", lags: "lagState", interconnects: "interconnectState", vifs: "virtualInterfaceState" }[list];
    for (const r of S.data[list]) {
      const peersMoving = kind === "virtualInterface" && (r.bgpPeers || []).some((p) => !SETTLED.has(p.bgpPeerState));
      if (!SETTLED.has(r[stateKey]) || peersMoving) moving.push({ kind, id: r[idKey] });
    }
  }
  if (!moving.length || moving.length > 200) return;
  settleTimer = setTimeout(() => { settleTimer = null; refresh(moving); }, 150);
}

// --- details, routes and actions -------------------------------------------------------

function findSelected() {
  const { kind, id } = S.selected;
  const d = S.data;
  const assocs = Object.values(d.associations).flat();
  const hosted = Object.values(d.hosted).flat();
  const peers = d.vifs.flatMap((v) => (v.bgpPeers || []).map((p) => ({ ...p, _vif: v })));
  return {
    connection: () => d.connections.find((c) => c.connectionId === id) || hosted.find((c) => c.connectionId === id),
    lag: () => d.lags.find((l) => l.lagId === id),
    interconnect: () => d.interconnects.find((i) => i.interconnectId === id),
    virtualInterface: () => d.vifs.find((v) => v.virtualInterfaceId === id),
    bgpPeer: () => peers.find((p) => p.bgpPeerId === id),
    directConnectGateway: () => d.gateways.find((g) => g.directConnectGatewayId === id),
    association: () => assocs.find((a) => a.associationId === id),
    proposal: () => d.proposals.find((p) => p.proposalId === id),
    location: () => ({ locationCode: id }),
  }[kind]?.();
}

function faultsOn(target, id) {
  return S.faults.filter((f) => f.state !== "ended" &&
    ((f.target === target && f.targetId === id) || (f.affected || []).some(([, rid]) => rid === id)));
}

function actionsFor(kind, rec) {
  const out = [];
  const fault = (target, id, label) => {
    const own = S.faults.filter((f) => f.state !== "ended" && f.target === target && f.targetId === id);
    if (own.length) own.forEach((f) => out.push(`<button type="button" data-end="${esc(f.faultId)}">Restore (${esc(label)})</button>`));
    else out.push(`<button type="button" class="danger" data-fault="${esc(target)}" data-target-id="${esc(id)}">Take ${esc(label)} down</button>`);
  };
  if (kind === "connection") fault("connection", rec.connectionId, "connection");
  if (kind === "interconnect") fault("connection", rec.interconnectId, "interconnect");
  if (kind === "lag") fault("lag", rec.lagId, "LAG");
  if (["connection", "interconnect", "lag"].includes(kind) && rec.awsDeviceV2) fault("device", rec.awsDeviceV2, `device ${rec.awsDeviceV2}`);
  if (kind === "location") fault("location", rec.locationCode, `location ${rec.locationCode}`);
  if (kind === "virtualInterface") {
    fault("virtualInterface", rec.virtualInterfaceId, "BGP sessions");
    if (rec.ownerAccount === S.account) {
      out.push(`<button type="button" data-failover="start">Start failover test (all peers)</button>`);
      out.push(`<button type="button" data-failover="stop">Stop failover test</button>`);
    }
  }
  return out.length ? `<div class="actions" role="group" aria-label="Rehearse a failure">${out.join("")}</div>` : "";
}

const FIELDS = {
  connection: ["connectionState", "bandwidth", "location", "awsDeviceV2", "vlan", "lagId", "ownerAccount", "partnerName",
    "prefixPoolSizeIpv4", "prefixPoolUnallocatedCountIpv4", "rateLimiterStatus"],
  lag: ["lagState", "connectionsBandwidth", "numberOfConnections", "minimumLinks", "location", "awsDeviceV2",
    "prefixPoolSizeIpv4", "prefixPoolUnallocatedCountIpv4"],
  interconnect: ["interconnectState", "bandwidth", "location", "awsDeviceV2"],
  virtualInterface: ["virtualInterfaceState", "virtualInterfaceType", "vlan", "asn", "amazonSideAsn", "mtu",
    "rateLimit", "directConnectGatewayId", "virtualGatewayId", "ownerAccount", "siteLinkEnabled",
    "prefixPoolAllocatedCountIpv4", "prefixPoolAllocatedCountIpv6"],
  bgpPeer: ["bgpStatus", "bgpPeerState", "addressFamily", "asn", "asnLong", "amazonAddress", "customerAddress"],
  directConnectGateway: ["directConnectGatewayState", "amazonSideAsn", "ownerAccount"],
  association: ["associationState", "directConnectGatewayId", "virtualGatewayId"],
  proposal: ["proposalState", "directConnectGatewayId", "directConnectGatewayOwnerAccount"],
};

async function renderDetails() {
  const rec = findSelected();
  const { kind, id } = S.selected;
  if (!rec) { $("details").innerHTML = `<p class="empty">${esc(id)} is gone.</p>`; return; }
  const shown = { ...rec }; delete shown._vif;
  const fields = (FIELDS[kind] || []).filter((f) => shown[f] !== undefined && shown[f] !== null && shown[f] !== "")
    .map((f) => `<dt>${esc(f)}</dt><dd>${/State$|Status$/.test(f) && typeof shown[f] === "string" ? badge(shown[f]) : esc(typeof shown[f] === "object" ? JSON.stringify(shown[f]) : shown[f])}</dd>`).join("");
  const faults = faultsOn(kind === "location" ? "location" : kind, id);
  const held = faults.length ? `<p class="facts">Held down by ${faults.map((f) => `<code>${esc(f.faultId)}</code> (${esc(f.target)} ${esc(f.targetId)})`).join(", ")}</p>` : "";
  const target = kind === "bgpPeer" ? rec._vif : rec;
  const targetKind = kind === "bgpPeer" ? "virtualInterface" : kind;
  $("details").innerHTML = `<h3>${esc(kind)} <span class="id">${esc(id)}</span></h3>` +
    `<dl class="fields">${fields}</dl>${held}${actionsFor(targetKind, target)}` +
    `<div id="routes"></div><details><summary>Record as the API returned it</summary>` +
    `<pre class="raw">${esc(JSON.stringify(shown, null, 2))}</pre></details>`;
  const routes = await routesFor(kind, rec).catch((e) => `<p class="error">${esc(e.message)}</p>`);
  if (S.selected && S.selected.id === id && $("routes")) $("routes").innerHTML = routes;
}

async function routesFor(kind, rec) {
  if (kind === "virtualInterface" || kind === "bgpPeer") {
    const vif = kind === "bgpPeer" ? rec._vif : rec;
    if (vif.ownerAccount !== S.account) return "";
    const routes = await all("ListVirtualInterfaceRoutes", { virtualInterfaceId: vif.virtualInterfaceId }, "routes");
    const rows = routes.map((r) => `<tr><td>${esc(r.routeDirection)}</td><td><code>${esc(r.cidr)}</code></td>` +
      `<td>${esc((r.asPath || []).map((s) => s.path ? s.path.join(" ") : s).join(" "))}</td>` +
      `<td>${esc((r.communities || []).join(" "))}</td></tr>`).join("");
    return `<h3>Routes (ListVirtualInterfaceRoutes)</h3><div class="tablewrap"><table><thead><tr><th>direction</th><th>prefix</th><th>AS_PATH</th><th>communities</th></tr></thead>` +
      `<tbody>${rows || '<tr><td colspan="4">none</td></tr>'}</tbody></table></div>`;
  }
  const gw = kind === "directConnectGateway" ? rec.directConnectGatewayId
    : kind === "association" ? rec.associatedGateway?.id : null;
  if (!gw) return "";
  const table = await control("GET", `/route-tables/${encodeURIComponent(gw)}`);
  const rows = (table.routes || []).map((e) => `<tr><td><code>${esc(e.prefix)}</code></td>` +
    `<td>${esc(e.virtualInterfaceIds.join(", "))}${e.multipath ? " (multipath)" : ""}</td><td>${esc(e.reason)}</td></tr>`).join("");
  return `<h3>Route table of ${esc(gw)}</h3><div class="tablewrap"><table><thead><tr><th>prefix</th><th>chosen VIF(s)</th><th>why</th></tr></thead>` +
    `<tbody>${rows || '<tr><td colspan="3">no routes</td></tr>'}</tbody></table></div>`;
}

function renderFaults() {
  const active = S.faults.filter((f) => f.state !== "ended");
  $("faults").innerHTML = active.length ? `<ul class="faults">${active.map((f) =>
    `<li>${badge(f.state === "active" ? "down" : "pending")} <strong>${esc(f.target)}</strong> <code>${esc(f.targetId)}</code>` +
    ` <span class="facts">${esc(f.faultId)} · holds ${(f.affected || []).length}</span>` +
    ` <button type="button" data-end="${esc(f.faultId)}">End</button></li>`).join("")}</ul>`
    : '<p class="empty">No active faults. Select a connection, LAG, location or VIF to inject one.</p>';
}

function renderSessions() {
  $("sessions-section").hidden = S.bgp !== "live";
  if (S.bgp !== "live") return;
  const rows = S.sessions.map((s) => `<tr><td class="id">${esc(s.bgpPeerId)}</td><td>${badge(s.bgpStatus)}</td>` +
    `<td>${esc(s.state)}</td><td>${esc(s.holdTime ?? "")}</td><td>${esc(s.acceptedPrefixes ?? 0)} / ${esc(s.advertisedPrefixes ?? 0)}</td>` +
    `<td>${esc(s.upSeconds != null ? `${Math.round(s.upSeconds)} s` : "")}</td><td>${esc(s.bfd?.state || "")}</td></tr>`).join("");
  $("sessions").innerHTML = `<div class="tablewrap"><table><thead><tr><th>peer</th><th>status</th><th>FSM</th><th>hold</th>` +
    `<th>accepted / advertised</th><th>up for</th><th>BFD</th></tr></thead><tbody>${rows || '<tr><td colspan="7">no sessions</td></tr>'}</tbody></table></div>`;
}

function logActivity(changes) {
  const list = $("activity");
  const time = new Date().toLocaleTimeString();
  for (const c of changes.slice(-20)) {
    const li = document.createElement("li");
    li.textContent = `${time} ${c.origin}: ${c.kind} ${c.id}`;
    list.prepend(li);
  }
  while (list.children.length > 100) list.lastChild.remove();
}

async function act(fn) {
  try { await fn(); } catch (err) { alert(err.message); }
}

function onClick(ev) {
  const btn = ev.target.closest("button");
  if (!btn) return;
  if (btn.classList.contains("node")) {
    S.selected = { kind: btn.dataset.kind, id: btn.dataset.id };
    document.querySelectorAll('.node[aria-current="true"]').forEach((n) => n.setAttribute("aria-current", "false"));
    btn.setAttribute("aria-current", "true");
    renderDetails();
  } else if (btn.dataset.fault) {
    act(() => control("POST", "/faults", { target: btn.dataset.fault, id: btn.dataset.targetId }));
  } else if (btn.dataset.end) {
    act(() => control("DELETE", `/faults/${encodeURIComponent(btn.dataset.end)}`));
  } else if (btn.dataset.failover) {
    const vif = S.selected.kind === "bgpPeer" ? findSelected()._vif : findSelected();
    const op = btn.dataset.failover === "start" ? "StartBgpFailoverTest" : "StopBgpFailoverTest";
    act(() => api(op, { virtualInterfaceId: vif.virtualInterfaceId }));
  }
}

function onKey(ev) {
  if (!ev.target.classList?.contains("node") || !["ArrowDown", "ArrowUp", "Home", "End"].includes(ev.key)) return;
  const nodes = [...document.querySelectorAll(".topology .node")];
  const i = nodes.indexOf(ev.target);
  const next = { ArrowDown: i + 1, ArrowUp: i - 1, Home: 0, End: nodes.length - 1 }[ev.key];
  if (nodes[next]) { nodes[next].focus(); ev.preventDefault(); }
}

async function chooseScope(initial) {
  const scopes = await control("GET", "/scopes");
  S.bgp = scopes.bgp;
  const accounts = new Set([scopes.defaultAccount, ...scopes.accounts]);
  const acct = $("account");
  const keep = initial ? scopes.defaultAccount : S.account;
  acct.innerHTML = [...accounts].map((a) => `<option${a === keep ? " selected" : ""}>${esc(a)}</option>`).join("");
  S.account = acct.value;
  const regions = new Set([scopes.defaultRegion, ...scopes.scopes.filter((s) => s.account === S.account).map((s) => s.region)]);
  const reg = $("region");
  const keepRegion = regions.has(S.region) ? S.region : scopes.defaultRegion;
  reg.innerHTML = [...regions].map((r) => `<option${r === keepRegion ? " selected" : ""}>${esc(r)}</option>`).join("");
  S.region = reg.value;
}

async function main() {
  const params = new URLSearchParams(location.search);
  await chooseScope(true);
  if (params.get("account")) S.account = params.get("account");
  if (params.get("region")) S.region = params.get("region");
  for (const [id, v] of [["account", S.account], ["region", S.region]]) {
    const sel = $(id);
    if (![...sel.options].some((o) => o.value === v)) sel.insertAdjacentHTML("beforeend", `<option>${esc(v)}</option>`);
    sel.value = v;
  }
  $("account").addEventListener("change", async () => { S.account = $("account").value; S.selected = null; await chooseScope(false); loadAll(); });
  $("region").addEventListener("change", () => { S.region = $("region").value; S.selected = null; loadAll(); });
  $("step").addEventListener("click", () => act(() => control("POST", "/advance", {})));
  $("plus60").addEventListener("click", () => act(() => control("POST", "/advance", { seconds: 60 })));
  document.body.addEventListener("click", onClick);
  document.body.addEventListener("keydown", onKey);
  if (S.bgp === "live") setInterval(async () => { await loadSessions(); renderSessions(); }, 1000);
  follow();
}

main();
