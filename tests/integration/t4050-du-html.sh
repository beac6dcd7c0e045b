#!/usr/bin/env bash
# t4050-du-html --- drydock-gc du --html FILE, the space report an operator
# looks at, loaded in a real browser (Debian's headless Chromium): on a
# generated store of 45 repositories with a policy,
#   - the page loads nothing from anywhere (one file, a CSP of 'none');
#   - its script ran, and every number the rendered DOM shows equals the
#     JSON reports of the same store: the store's live, reclaimable and
#     policy bytes; total, exclusive and shared bytes of the 30 largest
#     repositories; the rest summed as "others (15 repositories)"; the 50
#     tags with the most exclusive bytes, in order, with the policy's verdict;
#   - a screenshot stays in the build directory for review
#     (build/<variant>/du-report.png);
#   - a page that cannot be written is said before the walk (exit 8).
. "$(dirname "$0")/lib.sh"

CHROMIUM=$(command -v chromium || command -v chromium-browser || true)
[ -n "$CHROMIUM" ] || bail "chromium is not installed (tests/deps.sh)"
GEN=$DRYDOCK_BIN/../tests/bench/gen-tree
[ -x "$GEN" ] || bail "no gen-tree at $GEN (make all)"
"$GEN" --repos 45 -q "$T/store" >/dev/null || bail "gen-tree failed"
age_tree "$T/store" "30 days ago" # else every tag is "pushed during the run"
printf '%s\n' 'policies:' '  - repositories: ["**"]' '    delete: ".*"' \
    '    keep:' '      - last: 2' >"$T/policy.yml"

run_gc du --grace 0 --policy "$T/policy.yml" --html "$T/page.html" \
    --json "$T/repos.json" "$T/store"
assert_rc 0 "du --html"
run_gc du --grace 0 --policy "$T/policy.yml" --by tag --json "$T/tags.json" \
    "$T/store"
assert_rc 0 "du --by tag"
assert_schema drydock-gc-du "$T/repos.json" "$T/tags.json"
assert_eq "" "$(grep -oiE '(src|href)=|https?://|@import|url\(' "$T/page.html")" \
    "the page references nothing outside itself"

chrome() {
	timeout 120 "$CHROMIUM" --headless --no-sandbox --disable-gpu \
	    --hide-scrollbars --user-data-dir="$T/chrome" "$@" \
	    "file://$T/page.html" 2>>"$T/chrome.log"
}
chrome --dump-dom >"$T/dom.html" || bail "chromium could not load the page"
shot=$(dirname "$DRYDOCK_BIN")/du-report.png
chrome --window-size=1100,1500 --screenshot="$shot" >/dev/null
assert_true "a screenshot for review at $shot" test -s "$shot"

python3 - "$T/dom.html" "$T/repos.json" "$T/tags.json" >"$T/check.out" <<'EOF'
import html.parser, json, sys

class Dom(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.rows = {}      # table id -> [(attrs of tr, [cells])]
        self.table = None
        self.row = None
        self.cell = None
        self.ready = ""
        self.in_ready = False
    def handle_starttag(self, tag, a):
        a = dict(a)
        if tag == "table":
            self.table = a.get("id")
            self.rows.setdefault(self.table, [])
        elif tag == "tr" and self.table:
            self.row = (a, [])
            self.rows[self.table].append(self.row)
        elif tag == "td" and self.row is not None:
            self.cell = [a.get("data-bytes"), ""]
            self.row[1].append(self.cell)
        elif tag == "p" and a.get("id") == "ready":
            self.in_ready = True
    def handle_endtag(self, tag):
        if tag == "table":
            self.table = None
        elif tag == "td":
            self.cell = None
        elif tag == "p":
            self.in_ready = False
    def handle_data(self, d):
        if self.cell is not None:
            self.cell[1] += d
        if self.in_ready:
            self.ready += d

d = Dom()
d.feed(open(sys.argv[1]).read())
R = json.load(open(sys.argv[2]))
T = json.load(open(sys.argv[3]))
bad = []
def eq(what, got, want):
    if got != want:
        bad.append("%s: page %r, report %r" % (what, got, want))

eq("script ran", d.ready, "ready")
tot = {r[0].get("id"): int(r[1][1][0]) for r in d.rows["totals"] if r[1]}
eq("live", tot.get("total-live"), R["store"]["live_bytes"])
eq("reclaimable", tot.get("total-reclaimable"), R["store"]["reclaimable_bytes"])
eq("policy", tot.get("total-policy"), R["store"]["policy_bytes"])
pol = {}
for e in T["entries"]:
    if e["policy_deletes"]:
        pol[e["repository"]] = pol.get(e["repository"], 0) + e["exclusive_bytes"]
rows = [r for r in d.rows["repos"] if r[1]]
ents = R["entries"]
eq("repository rows (30 and others)", len(rows), 31)
for r, e in zip(rows[:30], ents[:30]):
    eq("row name", r[1][0][1], e["repository"])
    eq(e["repository"] + " bytes", [int(c[0]) for c in r[1][1:]],
       [e["total_bytes"], e["exclusive_bytes"], e["shared_bytes"],
        pol.get(e["repository"], 0)])
rest = ents[30:]
eq("others", rows[30][1][0][1], "others (%d repositories)" % len(rest))
eq("others bytes", [int(c[0]) for c in rows[30][1][1:]],
   [sum(e["total_bytes"] for e in rest), sum(e["exclusive_bytes"] for e in rest),
    sum(e["shared_bytes"] for e in rest),
    sum(pol.get(e["repository"], 0) for e in rest)])
want = sorted(T["entries"], key=lambda e: (-e["exclusive_bytes"],
               e["repository"] + ":" + e["tag"]))[:50]
trows = [r for r in d.rows["tags"] if r[1]]
eq("tag rows", len(trows), min(50, len(T["entries"])))
for r, e in zip(trows, want):
    eq("tag", r[1][0][1], e["repository"] + ":" + e["tag"])
    eq(e["tag"] + " bytes", [int(r[1][1][0]), int(r[1][2][0])],
       [e["exclusive_bytes"], e["total_bytes"]])
    eq(e["tag"] + " verdict", r[1][3][1], "deletes" if e["policy_deletes"] else "")
ndel = sum(1 for r in trows if r[1][3][1] == "deletes")
if ndel == 0:
    bad.append("no tag shown as deleted by the policy")
print("\n".join(bad) if bad else
      "all equal: %d repositories, %d tags (%d the policy deletes)" %
      (len(rows), len(trows), ndel))
sys.exit(1 if bad else 0)
EOF
rc=$?
assert_eq 0 "$rc" "the rendered page's numbers equal the JSON reports: $(tail -1 "$T/check.out")"
[ "$rc" = 0 ] || head -20 "$T/check.out" | sed 's/^/#   /'
assert_true "the policy frees bytes, and the page says how many" \
    jq -e '.store.policy_bytes > 0' "$T/repos.json"

run_gc du --html "$T/nodir/page.html" "$T/store"
assert_rc 8 "--html into a missing directory"
run_gc --html "$T/x.html" "$T/store"
assert_rc 16 "--html goes with du"
finish
