/* SPDX-License-Identifier: MIT */
/*
 * duhtml.c --- the space report as one HTML page (drydock-gc du --html):
 * the store's totals and when they were measured, a chart of the largest
 * repositories split into exclusive and shared bytes (and what the policy
 * frees in each), then the rest as "others", and the tags with the most
 * exclusive bytes.  Registry hosts are often air-gapped: the page is one
 * file with its style and script inline, and loads nothing (its
 * Content-Security-Policy forbids it).  The numbers come from the same
 * JSON reports --json writes, embedded in the page; the script lays them
 * out, and a <noscript> table carries the totals without it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "gc.h"

/* Repositories drawn one by one; the rest are summed as "others". */
#define DUHTML_TOP "30"
/* Tags listed. */
#define DUHTML_TAGS "50"

static void
put_escaped(FILE *f, const char *s)
{
	for (; *s != '\0'; s++) {
		switch (*s) {
		case '<':
			fputs("&lt;", f);
			break;
		case '>':
			fputs("&gt;", f);
			break;
		case '&':
			fputs("&amp;", f);
			break;
		case '"':
			fputs("&quot;", f);
			break;
		default:
			fputc(*s, f);
		}
	}
}

/*
 * A report as the text of a <script type="application/json">: no "<"
 * inside (a name holding "</script>" cannot end the element); '<' occurs
 * only inside JSON strings, where \u003c is the same character.
 */
static int
put_json(FILE *f, const char *id, const json_t *j)
{
	char *s = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS), *p;

	if (s == NULL)
		return -1;
	fprintf(f, "<script type=\"application/json\" id=\"%s\">", id);
	for (p = s; *p != '\0'; p++) {
		if (*p == '<')
			fputs("\\u003c", f);
		else
			fputc(*p, f);
	}
	fputs("</script>\n", f);
	free(s);
	return 0;
}

static const char style[] =
    "body{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#222}"
    "h1{font-size:1.4em}h2{font-size:1.15em;margin-top:1.6em}"
    "table{border-collapse:collapse}td,th{padding:2px 10px;text-align:"
    "right;border-bottom:1px solid "
    "#ddd;white-space:nowrap}td:first-child,th:first-child{"
    "text-align:left}code{font-size:.95em}"
    ".ex{fill:#c0392b;background:#c0392b}.sh{fill:#7f8c8d;background:"
    "#7f8c8d}.po{fill:#f39c12;background:#f39c12}"
    ".key span{display:inline-block;width:12px;height:12px;margin:0 4px "
    "0 12px;vertical-align:-1px}svg text{font:12px system-ui,sans-serif}";

/*
 * The page's script: reads the two reports, fills the totals, draws the
 * chart (top repositories by total bytes, then "others") and the tables.
 * Each number it writes carries data-bytes, for the test that compares
 * the rendered page with the JSON report.
 */
static const char script[] =
    "(function(){"
    "var R=JSON.parse(document.getElementById('du-repos').textContent),"
    "T=JSON.parse(document.getElementById('du-tags').textContent),"
    "TOP=" DUHTML_TOP ",NT=" DUHTML_TAGS ";"
    "function fmt(b){var u=['B','KiB','MiB','GiB','TiB'],i=0;"
    "while(b>=1024&&i<4){b/=1024;i++}return(i?b.toFixed(1):b)+' '+u[i]}"
    "function td(tr,b){var c=tr.insertCell();if(typeof b==='number'){"
    "c.textContent=fmt(b);c.setAttribute('data-bytes',String(b))}"
    "else c.textContent=b;return c}"
    "var s=R.store,t=document.getElementById('totals');"
    "[['live','Live (kept by a run with these options)',s.live_bytes],"
    "['reclaimable','Reclaimable now (a run frees it)',s.reclaimable_bytes],"
    "['policy','Reclaimable by the policy',s.policy_bytes]].forEach("
    "function(r){if(r[2]===null)return;var tr=t.insertRow();tr.id="
    "'total-'+r[0];td(tr,r[1]);td(tr,r[2])});"
    "var pol={};T.entries.forEach(function(e){if(e.policy_deletes)"
    "pol[e.repository]=(pol[e.repository]||0)+e.exclusive_bytes});"
    "var rows=R.entries.slice(0,TOP),rest=R.entries.slice(TOP),"
    "o={repository:'others ('+rest.length+' repositories)',"
    "total_bytes:0,exclusive_bytes:0,shared_bytes:0,others:1};"
    "rest.forEach(function(e){o.total_bytes+=e.total_bytes;"
    "o.exclusive_bytes+=e.exclusive_bytes;o.shared_bytes+=e.shared_bytes;"
    "o.policy=(o.policy||0)+(pol[e.repository]||0)});"
    "if(rest.length)rows.push(o);"
    "var max=1;rows.forEach(function(e){if(e.total_bytes>max)"
    "max=e.total_bytes});"
    "var W=520,H=18,L=260,svg='';rows.forEach(function(e,i){"
    "var y=i*(H+4),x=e.exclusive_bytes/max*W,sh=e.shared_bytes/max*W,"
    "p=(e.others?e.policy||0:pol[e.repository]||0)/max*W;"
    "svg+='<text x=\"'+(L-6)+'\" y=\"'+(y+13)+'\" text-anchor=\"end\">'"
    "+e.repository.replace(/&/g,'&amp;').replace(/</g,'&lt;')+'</text>'"
    "+'<rect class=\"ex\" x=\"'+L+'\" y=\"'+y+'\" width=\"'+x+'\" "
    "height=\"'+H+'\"/>'"
    "+'<rect class=\"sh\" x=\"'+(L+x)+'\" y=\"'+y+'\" width=\"'+sh+'\" "
    "height=\"'+H+'\"/>'"
    "+(p?'<rect class=\"po\" x=\"'+L+'\" y=\"'+(y+H-5)+'\" width=\"'+p+'\" "
    "height=\"5\"/>':'')});"
    "document.getElementById('chart').innerHTML='<svg width=\"'+(L+W+20)"
    "+'\" height=\"'+(rows.length*(H+4)+4)+'\" role=\"img\">'+svg+'</svg>';"
    "var rt=document.getElementById('repos');rows.forEach(function(e){"
    "var tr=rt.insertRow();if(!e.others)tr.setAttribute('data-repository',"
    "e.repository);td(tr,e.repository);td(tr,e.total_bytes);"
    "td(tr,e.exclusive_bytes);td(tr,e.shared_bytes);"
    "if(R.store.policy_bytes!==null)td(tr,e.others?(e.policy||0):"
    "(pol[e.repository]||0))});"
    "var tags=T.entries.slice().sort(function(a,b){return "
    "b.exclusive_bytes-a.exclusive_bytes||(a.repository+':'+a.tag<"
    "b.repository+':'+b.tag?-1:1)}).slice(0,NT),tt="
    "document.getElementById('tags');tags.forEach(function(e){"
    "var tr=tt.insertRow();tr.setAttribute('data-tag',e.repository+':'+"
    "e.tag);td(tr,e.repository+':'+e.tag);td(tr,e.exclusive_bytes);"
    "td(tr,e.total_bytes);td(tr,e.policy_deletes?'deletes':'')});"
    "document.getElementById('ready').textContent='ready'})();";

int
gc_du_html(const json_t *repos, const json_t *tags, const char *path)
{
	struct drydock_outfile of;
	const char *root = json_string_value(json_object_get(repos, "root"));
	const char *when =
	    json_string_value(json_object_get(repos, "finished"));
	const char *ver = json_string_value(json_object_get(repos, "version"));
	const char *pol = json_string_value(json_object_get(repos, "policy"));
	const json_t *store = json_object_get(repos, "store");
	int r = 0;

	if (drydock_outfile_open(&of, path) < 0)
		return DRYDOCK_ERROR;
	fputs(
	    "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
	    "<meta http-equiv=\"Content-Security-Policy\" content=\""
	    "default-src 'none'; style-src 'unsafe-inline'; script-src "
	    "'unsafe-inline'\"><title>drydock: space in ",
	    of.f);
	put_escaped(of.f, root != NULL ? root : "");
	fprintf(of.f, "</title><style>%s</style></head><body>\n", style);
	fputs("<h1>Space in <code>", of.f);
	put_escaped(of.f, root != NULL ? root : "");
	fputs("</code></h1>\n<p id=\"measured\">Measured ", of.f);
	put_escaped(of.f, when != NULL ? when : "");
	fputs(" by drydock-gc ", of.f);
	put_escaped(of.f, ver != NULL ? ver : "");
	if (pol != NULL) {
		fputs(", with the policy <code>", of.f);
		put_escaped(of.f, pol);
		fputs("</code>", of.f);
	}
	fputs(".</p>\n<table id=\"totals\"><tr><th>Store</th><th>bytes</th>"
	      "</tr></table>\n<noscript><p>Live: ",
	    of.f);
	fprintf(of.f,
	    "%lld bytes; reclaimable now: %lld bytes (the chart and tables "
	    "need JavaScript).</p></noscript>\n",
	    (long long)json_integer_value(json_object_get(store, "live_bytes")),
	    (long long)json_integer_value(
	        json_object_get(store, "reclaimable_bytes")));
	fprintf(of.f,
	    "<h2>Repositories by bytes</h2>\n<p class=\"key\"><span "
	    "class=\"ex\"></span>exclusive (deleting the repository frees "
	    "it)<span class=\"sh\"></span>shared with other repositories%s</p>"
	    "\n<div id=\"chart\"></div>\n<table id=\"repos\"><tr><th>"
	    "repository</th><th>total</th><th>exclusive</th><th>shared</th>%s"
	    "</tr></table>\n",
	    pol != NULL ? "<span class=\"po\"></span>what the policy frees "
	                  "(exclusive bytes of the tags it deletes)"
	                : "",
	    pol != NULL ? "<th>policy frees</th>" : "");
	fprintf(of.f,
	    "<h2>Tags with the most exclusive bytes</h2>\n<table id=\"tags\">"
	    "<tr><th>tag</th><th>exclusive</th><th>total</th><th>%s</th></tr>"
	    "</table>\n<p id=\"ready\" hidden></p>\n",
	    pol != NULL ? "policy" : "");
	if (put_json(of.f, "du-repos", repos) < 0 ||
	    put_json(of.f, "du-tags", tags) < 0)
		r = -1;
	fprintf(of.f, "<script>%s</script>\n</body></html>\n", script);
	if (r < 0 || ferror(of.f)) {
		drydock_outfile_abort(&of);
		drydock_error_set_os("cannot write '%s'", path);
		return DRYDOCK_ERROR;
	}
	return drydock_outfile_commit(&of);
}
