/*
 * One self-contained HTML report: inline CSS, the tables, and charts drawn
 * by Vega-Lite (Vega, Vega-Lite and vega-embed are compiled into
 * greenbench and inlined, so the file opens offline and fetches nothing).
 *
 * The page holds the figures as JSON datasets (exact values, for the
 * tooltips) and one Vega-Lite spec per chart: energy per item by runtime
 * per model, faceted by batch, with 95% intervals; energy per item against
 * throughput with the Pareto front per batch; power and utilisation over
 * time of any run, chosen in the page; energy by phase. A small page
 * script embeds them and writes what it rendered (marks per chart, errors)
 * into #gb-status for the tests.
 */
#include "report/rtable.h"
#include "report/vega.h"
#include "greenbench/error.h"
#include "greenbench/result.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static void esc(FILE *f, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '&': fputs("&amp;", f); break;
		case '"': fputs("&quot;", f); break;
		default: fputc(*s, f);
		}
	}
}

/* Text inside <script>: "</script" would end it early. In JSON, "<\/" is
 * the same string; the bundled libraries have no "</script" (a regular
 * expression like /</g must stay as it is), so only that is escaped. */
static void script_text(FILE *f, const char *s, int json)
{
	for (; *s; s++) {
		if (s[0] == '<' && s[1] == '/' && (json || !strncasecmp(s + 2, "script", 6)))
			fputs("<\\", f);	/* the loop writes the "/" */
		else
			fputc(*s, f);
	}
}

static void add_num(cJSON *o, const char *k, int valid, double v)
{
	if (valid && !isnan(v) && !isinf(v))
		cJSON_AddNumberToObject(o, k, v);
}

static const char *cfg_status(const struct gb_report_config *c)
{
	return !c->n_failed ? "ok" : c->n_ok ? "partly failed" : "failed";
}

/* What the energy chart writes at zero for a configuration without a
 * figure: all its runs failed, or all its ok runs were invalid. */
static const char *cfg_flag(const struct gb_report_config *c)
{
	if (c->n_ok)
		return NULL;
	return c->n_invalid ? "invalid" : c->n_failed ? "failed" : NULL;
}

/* A run's verdict for the page: its level, "failed", or "none" (an older record). */
static const char *run_verdict(const struct gb_report_run *run)
{
	if (!run->ok)
		return "failed";
	return run->verdict < 0 ? "none" : gb_verdict_level_name((enum gb_verdict_level)run->verdict);
}

static cJSON *configs_data(const struct gb_report *r)
{
	cJSON *a = cJSON_CreateArray();

	for (size_t i = 0; a && i < r->ncfgs; i++) {
		const struct gb_report_config *c = &r->cfgs[i];
		const struct gb_ci *e = &c->m[GB_RM_EPI];
		cJSON *o = cJSON_CreateObject();
		char batch[32], why[128];

		snprintf(batch, sizeof batch, "batch %u", c->batch);
		cJSON_AddStringToObject(o, "model", c->model);
		cJSON_AddNumberToObject(o, "batch", c->batch);
		cJSON_AddStringToObject(o, "batch_label", batch);
		cJSON_AddStringToObject(o, "label", c->label);
		cJSON_AddStringToObject(o, "status", cfg_status(c));
		cJSON_AddNumberToObject(o, "runs_ok", (double)c->n_ok);
		cJSON_AddNumberToObject(o, "runs_failed", (double)c->n_failed);
		cJSON_AddStringToObject(o, "verdict", gb_verdict_level_name(c->verdict));
		gb_verdict_reasons_join(c->verdict_reasons, ", ", why, sizeof why);
		cJSON_AddStringToObject(o, "verdict_reasons", why);
		cJSON_AddNumberToObject(o, "runs_suspect", (double)c->n_suspect);
		cJSON_AddNumberToObject(o, "runs_invalid", (double)c->n_invalid);
		if (cfg_flag(c))
			cJSON_AddStringToObject(o, "flag", cfg_flag(c));
		add_num(o, "epi", e->valid, e->mean);
		add_num(o, "lo", e->ci_valid, e->lo);
		add_num(o, "hi", e->ci_valid, e->hi);
		add_num(o, "gpu_epi", c->m[GB_RD_GPU_EPI].valid, c->m[GB_RD_GPU_EPI].mean);
		add_num(o, "cpu_epi", c->m[GB_RD_CPU_EPI].valid, c->m[GB_RD_CPU_EPI].mean);
		add_num(o, "throughput", c->m[GB_RM_THROUGHPUT].valid, c->m[GB_RM_THROUGHPUT].mean);
		add_num(o, "latency_ms", c->m[GB_RM_LATENCY_MS].valid, c->m[GB_RM_LATENCY_MS].mean);
		cJSON_AddStringToObject(o, "method", c->total_methods);
		cJSON_AddBoolToObject(o, "pareto", c->pareto);
		cJSON_AddItemToArray(a, o);
	}
	return a;
}

/* "run 3: resnet50 b8 ort/cuda rep 1 (failed)", or (suspect), (invalid) */
static void run_label(const struct gb_report *r, const struct gb_report_run *run, char *buf, size_t len)
{
	const struct gb_report_config *c = run->cfg < r->ncfgs ? &r->cfgs[run->cfg] : NULL;

	const char *v = run_verdict(run);
	int mark = strcmp(v, "valid") && strcmp(v, "none");

	snprintf(buf, len, "run %lld: %s b%u %s rep %u%s%s%s", (long long)run->id, c ? c->model : "?",
		 c ? c->batch : 0, c ? c->label : "?", run->rep + 1, mark ? " (" : "", mark ? v : "", mark ? ")" : "");
}

static const struct gb_report_run *run_find(const struct gb_report *r, int64_t id)
{
	for (size_t i = 0; i < r->nruns; i++)
		if (r->runs[i].id == id)
			return &r->runs[i];
	return NULL;
}

static cJSON *series_data(const struct gb_report *r)
{
	cJSON *a = cJSON_CreateArray();

	for (size_t i = 0; a && i < r->nseries; i++) {
		const struct gb_report_series *s = &r->series[i];
		char what[96];

		snprintf(what, sizeof what, "%s %s", s->domain, s->is_util ? "utilisation (%)" : "power (W)");
		for (size_t k = 0; k < s->n; k++) {
			cJSON *o = cJSON_CreateObject();
			cJSON_AddNumberToObject(o, "run", (double)s->run);
			cJSON_AddStringToObject(o, "quantity", what);
			cJSON_AddNumberToObject(o, "t", s->t_s[k]);
			add_num(o, "value", 1, s->v[k]);
			cJSON_AddItemToArray(a, o);
		}
	}
	return a;
}

static cJSON *phases_data(const struct gb_report *r)
{
	cJSON *a = cJSON_CreateArray();

	for (size_t i = 0; a && i < r->nphases; i++) {
		const struct gb_store_phase_energy *p = &r->phases[i];
		const struct gb_report_run *run = run_find(r, p->run);
		const struct gb_report_config *c = run && run->cfg < r->ncfgs ? &r->cfgs[run->cfg] : NULL;
		char group[160];
		cJSON *o;

		if (!c || isnan(p->joules))
			continue;
		snprintf(group, sizeof group, "%s, batch %u", c->model, c->batch);
		o = cJSON_CreateObject();
		cJSON_AddNumberToObject(o, "run", (double)p->run);
		cJSON_AddStringToObject(o, "group", group);
		cJSON_AddStringToObject(o, "label", c->label);
		cJSON_AddStringToObject(o, "phase", p->phase);
		cJSON_AddStringToObject(o, "status", run->ok ? "ok" : "failed");
		cJSON_AddStringToObject(o, "verdict", run_verdict(run));
		cJSON_AddNumberToObject(o, "joules", p->joules);
		cJSON_AddItemToArray(a, o);
	}
	return a;
}

/*
 * The charts: Vega-Lite specs over the named datasets. Scales are
 * independent per facet, as batch 1 and batch 64 differ by an order of
 * magnitude; tooltips show the exact figures.
 */
static const struct chart {
	const char *id, *title, *caption, *data;
	const char *spec;
} charts[] = {
	{ "chart-epi", "Energy per item by runtime/EP",
	  "Mean over repetitions; the black rule is the 95% confidence interval. Configurations whose runs all "
	  "failed, or whose ok runs were all invalid, are marked so at zero.", "configs",
	  "{\"facet\":{\"column\":{\"field\":\"batch_label\",\"type\":\"ordinal\",\"title\":null,"
	  "\"sort\":{\"field\":\"batch\"},\"header\":{\"labelFontSize\":13,\"labelFontWeight\":\"bold\"}}},"
	  "\"spec\":{\"width\":{\"step\":22},\"height\":260,\"layer\":["
	  "{\"transform\":[{\"filter\":\"isValid(datum.epi)\"}],\"mark\":{\"type\":\"bar\"},"
	  "\"encoding\":{\"x\":{\"field\":\"model\",\"type\":\"nominal\",\"title\":\"model\",\"axis\":{\"labelAngle\":0}},"
	  "\"xOffset\":{\"field\":\"label\"},"
	  "\"y\":{\"field\":\"epi\",\"type\":\"quantitative\",\"title\":\"energy per item (mJ)\"},"
	  "\"color\":{\"field\":\"label\",\"type\":\"nominal\",\"title\":\"runtime/EP\"},"
	  "\"tooltip\":[{\"field\":\"model\"},{\"field\":\"batch\"},{\"field\":\"label\",\"title\":\"runtime/EP\"},"
	  "{\"field\":\"epi\",\"title\":\"mJ/item\",\"format\":\".6~g\"},{\"field\":\"lo\",\"title\":\"95% CI low\",\"format\":\".6~g\"},"
	  "{\"field\":\"hi\",\"title\":\"95% CI high\",\"format\":\".6~g\"},{\"field\":\"gpu_epi\",\"title\":\"GPU mJ/item\",\"format\":\".6~g\"},"
	  "{\"field\":\"cpu_epi\",\"title\":\"CPU mJ/item\",\"format\":\".6~g\"},{\"field\":\"method\"},"
	  "{\"field\":\"runs_ok\",\"title\":\"ok runs\"},{\"field\":\"runs_failed\",\"title\":\"failed runs\"},"
	  "{\"field\":\"verdict\"},{\"field\":\"verdict_reasons\",\"title\":\"verdict reasons\"}]}},"
	  "{\"transform\":[{\"filter\":\"isValid(datum.lo)\"}],\"mark\":{\"type\":\"rule\",\"color\":\"black\",\"strokeWidth\":1.5},"
	  "\"encoding\":{\"x\":{\"field\":\"model\",\"type\":\"nominal\"},\"xOffset\":{\"field\":\"label\"},"
	  "\"y\":{\"field\":\"lo\",\"type\":\"quantitative\"},\"y2\":{\"field\":\"hi\"}}},"
	  "{\"transform\":[{\"filter\":\"isValid(datum.flag)\"}],"
	  "\"mark\":{\"type\":\"text\",\"angle\":270,\"align\":\"left\",\"dx\":3,\"color\":\"#b03000\",\"fontWeight\":\"bold\"},"
	  "\"encoding\":{\"x\":{\"field\":\"model\",\"type\":\"nominal\"},\"xOffset\":{\"field\":\"label\"},\"y\":{\"datum\":0},"
	  "\"text\":{\"field\":\"flag\"},"
	  "\"tooltip\":[{\"field\":\"label\",\"title\":\"runtime/EP\"},{\"field\":\"status\"},{\"field\":\"runs_failed\",\"title\":\"failed runs\"},"
	  "{\"field\":\"runs_invalid\",\"title\":\"invalid runs\"},{\"field\":\"verdict_reasons\",\"title\":\"verdict reasons\"}]}}"
	  "]},\"resolve\":{\"scale\":{\"y\":\"independent\"}}}" },
	{ "chart-pareto", "Energy per item against throughput",
	  "One point per configuration; ringed points form the Pareto front of their model (no other configuration "
	  "of the model and batch has both lower energy per item and lower latency), the dashed line joins them.", "configs",
	  "{\"transform\":[{\"filter\":\"isValid(datum.epi) && isValid(datum.throughput)\"}],"
	  "\"facet\":{\"column\":{\"field\":\"batch_label\",\"type\":\"ordinal\",\"title\":null,"
	  "\"sort\":{\"field\":\"batch\"},\"header\":{\"labelFontSize\":13,\"labelFontWeight\":\"bold\"}}},"
	  "\"spec\":{\"width\":320,\"height\":260,\"layer\":["
	  "{\"transform\":[{\"filter\":\"datum.pareto\"}],\"mark\":{\"type\":\"line\",\"strokeDash\":[4,3],\"color\":\"#555\"},"
	  "\"encoding\":{\"x\":{\"field\":\"throughput\",\"type\":\"quantitative\"},\"y\":{\"field\":\"epi\",\"type\":\"quantitative\"},"
	  "\"detail\":{\"field\":\"model\"},\"order\":{\"field\":\"throughput\"}}},"
	  "{\"transform\":[{\"filter\":\"datum.pareto\"}],\"mark\":{\"type\":\"point\",\"size\":260,\"color\":\"#222\",\"strokeWidth\":1.5},"
	  "\"encoding\":{\"x\":{\"field\":\"throughput\",\"type\":\"quantitative\"},\"y\":{\"field\":\"epi\",\"type\":\"quantitative\"}}},"
	  "{\"mark\":{\"type\":\"point\",\"filled\":true,\"size\":80},"
	  "\"encoding\":{\"x\":{\"field\":\"throughput\",\"type\":\"quantitative\",\"title\":\"throughput (items/s)\",\"scale\":{\"zero\":false}},"
	  "\"y\":{\"field\":\"epi\",\"type\":\"quantitative\",\"title\":\"energy per item (mJ)\",\"scale\":{\"zero\":false}},"
	  "\"color\":{\"field\":\"label\",\"type\":\"nominal\",\"title\":\"runtime/EP\"},"
	  "\"shape\":{\"field\":\"model\",\"type\":\"nominal\",\"title\":\"model\"},"
	  "\"tooltip\":[{\"field\":\"model\"},{\"field\":\"batch\"},{\"field\":\"label\",\"title\":\"runtime/EP\"},"
	  "{\"field\":\"epi\",\"title\":\"mJ/item\",\"format\":\".6~g\"},{\"field\":\"throughput\",\"title\":\"items/s\",\"format\":\".6~g\"},"
	  "{\"field\":\"latency_ms\",\"title\":\"batch latency (ms)\",\"format\":\".6~g\"},{\"field\":\"pareto\",\"title\":\"on the front\"}]}}"
	  "]},\"resolve\":{\"scale\":{\"x\":\"independent\",\"y\":\"independent\"}}}" },
	{ "chart-series", "Power and utilisation over time",
	  "Choose the run below the chart; every run that recorded a time series is there, failed, suspect and invalid ones marked.",
	  "series",
	  "{\"params\":[{\"name\":\"run\",\"value\":%RUN%,\"bind\":{\"input\":\"select\",\"name\":\"run \","
	  "\"options\":%RUNS%,\"labels\":%LABELS%}}],"
	  "\"transform\":[{\"filter\":\"datum.run == run\"}],"
	  "\"facet\":{\"row\":{\"field\":\"quantity\",\"type\":\"nominal\",\"title\":null,\"header\":{\"labelAngle\":0,\"labelAlign\":\"left\",\"labelFontSize\":12}}},"
	  "\"spec\":{\"width\":640,\"height\":150,\"mark\":{\"type\":\"line\",\"point\":{\"size\":12}},"
	  "\"encoding\":{\"x\":{\"field\":\"t\",\"type\":\"quantitative\",\"title\":\"time since the run's first sample (s)\"},"
	  "\"y\":{\"field\":\"value\",\"type\":\"quantitative\",\"title\":null},"
	  "\"color\":{\"field\":\"quantity\",\"type\":\"nominal\",\"legend\":null},"
	  "\"tooltip\":[{\"field\":\"quantity\"},{\"field\":\"t\",\"title\":\"s\",\"format\":\".4~f\"},{\"field\":\"value\",\"format\":\".6~g\"}]}},"
	  "\"resolve\":{\"scale\":{\"y\":\"independent\"}}}" },
	{ "chart-phases", "Energy by phase",
	  "Mean energy per run in each phase (GPU and CPU domains): loading the model, building an engine "
	  "(TensorRT), the first batch, warm-up, the measured phase.", "phases",
	  "{\"transform\":[{\"aggregate\":[{\"op\":\"mean\",\"field\":\"joules\",\"as\":\"mean_j\"},{\"op\":\"count\",\"as\":\"runs\"}],"
	  "\"groupby\":[\"group\",\"label\",\"phase\"]}],"
	  "\"facet\":{\"field\":\"group\",\"type\":\"nominal\",\"title\":null,\"header\":{\"labelFontSize\":12,\"labelFontWeight\":\"bold\"}},"
	  "\"columns\":4,\"spec\":{\"width\":{\"step\":26},\"height\":200,\"mark\":{\"type\":\"bar\"},"
	  "\"encoding\":{\"x\":{\"field\":\"label\",\"type\":\"nominal\",\"title\":null,\"axis\":{\"labelAngle\":-45,\"labelLimit\":120}},"
	  "\"y\":{\"field\":\"mean_j\",\"type\":\"quantitative\",\"title\":\"mean energy per run (J)\"},"
	  "\"color\":{\"field\":\"phase\",\"type\":\"nominal\",\"title\":\"phase\"},"
	  "\"order\":{\"field\":\"phase\"},"
	  "\"tooltip\":[{\"field\":\"label\",\"title\":\"runtime/EP\"},{\"field\":\"phase\"},"
	  "{\"field\":\"mean_j\",\"title\":\"mean J\",\"format\":\".6~g\"},{\"field\":\"runs\"}]}},"
	  /* A wrapped facet draws x axes only under its last row: every cell
	   * gets its own, with its own runtimes. */
	  "\"resolve\":{\"scale\":{\"x\":\"independent\",\"y\":\"independent\"},\"axis\":{\"x\":\"independent\"}}}" },
};
#define NCHARTS (sizeof charts / sizeof charts[0])

/* The series chart's spec with the run choice filled in. */
static char *series_spec(const struct gb_report *r, const char *tmpl)
{
	cJSON *ids = cJSON_CreateArray(), *labels = cJSON_CreateArray();
	char *sids = NULL, *slabels = NULL, *out = NULL, label[256];
	size_t len;

	for (size_t i = 0; ids && labels && i < r->nruns; i++) {
		int has = 0;
		for (size_t k = 0; k < r->nseries && !has; k++)
			has = r->series[k].run == r->runs[i].id;
		if (!has)
			continue;
		run_label(r, &r->runs[i], label, sizeof label);
		cJSON_AddItemToArray(ids, cJSON_CreateNumber((double)r->runs[i].id));
		cJSON_AddItemToArray(labels, cJSON_CreateString(label));
	}
	sids = cJSON_PrintUnformatted(ids);
	slabels = cJSON_PrintUnformatted(labels);
	if (!sids || !slabels)
		goto out;
	len = strlen(tmpl) + strlen(sids) + strlen(slabels) + 32;
	if (!(out = malloc(len)))
		goto out;
	/* %RUN%, %RUNS%, %LABELS% appear once each, in that order. */
	const char *a = strstr(tmpl, "%RUN%"), *b = strstr(tmpl, "%RUNS%"), *c = strstr(tmpl, "%LABELS%");
	snprintf(out, len, "%.*s%lld%.*s%s%.*s%s%s", (int)(a - tmpl), tmpl,
		 (long long)(r->series_run ? r->series_run : r->series[0].run),
		 (int)(b - a - 5), a + 5, sids, (int)(c - b - 6), b + 6, slabels, c + 8);
out:
	cJSON_Delete(ids);
	cJSON_Delete(labels);
	free(sids);
	free(slabels);
	return out;
}

/* Why a chart has nothing to draw, or NULL. */
static const char *chart_empty(const struct gb_report *r, const struct chart *c)
{
	size_t ok = 0;

	for (size_t i = 0; i < r->ncfgs; i++)
		ok += r->cfgs[i].m[GB_RM_EPI].valid;
	if (!strcmp(c->data, "series"))
		return r->nseries ? NULL : "No run recorded a time series (campaign runs record one with --series).";
	if (!strcmp(c->data, "phases"))
		return r->nphases ? NULL : "No run recorded its phases' energy.";
	if (!r->ncfgs)
		return "The campaign has no runs yet.";
	if (!strcmp(c->id, "chart-pareto") && !ok)
		return "No configuration has an ok run with energy per item and throughput.";
	return NULL;
}

/* The page script: embed every chart, then report what was drawn. */
static const char page_js[] =
	"(function(){\n"
	"var st=document.getElementById('gb-status'),errors=[],marks={};\n"
	"var done=function(){var res=performance.getEntriesByType('resource').map(function(e){return e.name;});\n"
	"  st.textContent=JSON.stringify({errors:errors,marks:marks,resources:res});st.setAttribute('data-done','1');};\n"
	"window.addEventListener('error',function(e){errors.push(String(e.message));});\n"
	"document.addEventListener('securitypolicyviolation',function(e){errors.push('blocked '+e.blockedURI);});\n"
	"var ce=console.error;console.error=function(){errors.push(Array.prototype.join.call(arguments,' '));ce.apply(console,arguments);};\n"
	"if(typeof vegaEmbed==='undefined'){errors.push('vega-embed missing');done();return;}\n"
	"var data=JSON.parse(document.getElementById('gb-data').textContent);\n"
	"var specs=JSON.parse(document.getElementById('gb-specs').textContent);\n"
	"Promise.all(specs.map(function(s){\n"
	"  var spec=s.spec;spec.datasets=data;spec.data={name:s.data};\n"
	"  spec.title={text:s.title,anchor:'start',fontSize:15};\n"
	"  spec.config={font:'sans-serif',axis:{labelFontSize:11,titleFontSize:12},legend:{labelFontSize:11,titleFontSize:12}};\n"
	"  return vegaEmbed('#'+s.id,spec,{actions:false,renderer:'svg'}).then(function(res){\n"
	"    marks[s.id]=document.querySelectorAll('#'+s.id+' g.role-mark > *').length;\n"
	"    res.view.addSignalListener && s.data==='series' && res.view.addSignalListener('run',function(){\n"
	"      marks[s.id]=document.querySelectorAll('#'+s.id+' g.role-mark > *').length;});\n"
	"  }).catch(function(e){errors.push(s.id+': '+e);});\n"
	"})).then(done,function(e){errors.push(String(e));done();});\n"
	"})();\n";

static const char css[] =
	"body{font:14px/1.45 sans-serif;margin:2em auto;color:#222;max-width:1500px;padding:0 1em}"
	"h1{font-size:24px}h2{font-size:18px;margin-top:2em;border-bottom:1px solid #ddd}"
	"table{border-collapse:collapse;margin:1em 0;font-size:12px}"
	"th,td{border:1px solid #ccc;padding:3px 6px;text-align:right;white-space:nowrap}"
	"th{background:#eee}td:nth-child(-n+3){text-align:left}"
	".note{font-size:12px;color:#555;max-width:1100px}.warn{color:#a40}.empty{font-style:italic;color:#555}"
	".chart{margin:1.5em 0}.caption{font-size:12px;color:#555;max-width:900px;margin:.3em 0}"
	".vega-bind{margin:.5em 0;font-size:13px}.vega-bind select{font-size:13px;max-width:700px}"
	"#gb-status{display:none}";

/* The phases in the order a run goes through them (result.c's names). */
static void phase_order(cJSON *spec)
{
	cJSON *color = cJSON_GetObjectItemCaseSensitive(
		cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(spec, "spec"), "encoding"), "color");
	cJSON *order = cJSON_CreateArray();

	for (int p = 0; order && p < GB_PHASE_COUNT; p++)
		cJSON_AddItemToArray(order, cJSON_CreateString(gb_phase_name((enum gb_phase_id)p)));
	if (color && order)
		cJSON_AddItemToObject(color, "sort", order);
	else
		cJSON_Delete(order);
}

static void write_chart_data(const struct gb_report *r, FILE *f, int *err)
{
	cJSON *data = cJSON_CreateObject(), *specs = cJSON_CreateArray();
	char *text = NULL;

	if (!data || !specs) {
		*err = -ENOMEM;
		goto out;
	}
	cJSON_AddItemToObject(data, "configs", configs_data(r));
	cJSON_AddItemToObject(data, "series", series_data(r));
	cJSON_AddItemToObject(data, "phases", phases_data(r));
	for (size_t i = 0; i < NCHARTS; i++) {
		const struct chart *c = &charts[i];
		char *spec;
		cJSON *o, *parsed;
		if (chart_empty(r, c))
			continue;
		spec = !strcmp(c->data, "series") ? series_spec(r, c->spec) : NULL;
		parsed = cJSON_Parse(spec ? spec : c->spec);
		free(spec);
		if (!parsed) {
			*err = -EINVAL;	/* a spec above is not JSON: a bug here */
			goto out;
		}
		if (!strcmp(c->data, "phases"))
			phase_order(parsed);
		o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "id", c->id);
		cJSON_AddStringToObject(o, "title", c->title);
		cJSON_AddStringToObject(o, "data", c->data);
		cJSON_AddItemToObject(o, "spec", parsed);
		cJSON_AddItemToArray(specs, o);
	}
	fputs("<script type=\"application/json\" id=\"gb-data\">", f);
	if (!(text = cJSON_PrintUnformatted(data))) {
		*err = -ENOMEM;
		goto out;
	}
	script_text(f, text, 1);
	free(text);
	fputs("</script>\n<script type=\"application/json\" id=\"gb-specs\">", f);
	if (!(text = cJSON_PrintUnformatted(specs))) {
		*err = -ENOMEM;
		goto out;
	}
	script_text(f, text, 1);
	fputs("</script>\n", f);
out:
	free(text);
	cJSON_Delete(data);
	cJSON_Delete(specs);
}

static void write_charts(const struct gb_report *r, FILE *f)
{
	fputs("<h2>Charts</h2>\n", f);
	if (!gb_vega_js[0]) {
		fputs("<p class=\"empty\">This greenbench was built without Vega (run 'make deps' and rebuild), "
		      "so the report has its tables but no charts.</p>\n", f);
		return;
	}
	for (size_t i = 0; i < NCHARTS; i++) {
		const struct chart *c = &charts[i];
		const char *why = chart_empty(r, c);
		fprintf(f, "<section class=\"chart\">");
		if (why) {
			fputs("<h3>", f);
			esc(f, c->title);
			fputs("</h3><p class=\"empty\">", f);
			esc(f, why);
			fputs("</p></section>\n", f);
			continue;
		}
		fprintf(f, "<div id=\"%s\" class=\"vl\"></div><p class=\"caption\">", c->id);
		esc(f, c->caption);
		fputs("</p></section>\n", f);
	}
}

static void write_tables(const struct rtable *t, size_t nt, FILE *f)
{
	for (size_t i = 0; i < nt; i++) {
		const struct rtable *tb = &t[i];
		fputs("<h2>", f);
		esc(f, tb->title);
		fputs("</h2>\n", f);
		if (!tb->nrows) {
			fputs("<p class=\"empty\">", f);
			esc(f, tb->empty[0] ? tb->empty : "(none)");
			fputs("</p>\n", f);
			continue;
		}
		fputs("<table>\n", f);
		for (size_t row = 0; row <= tb->nrows; row++) {
			fputs("<tr>", f);
			for (size_t c = 0; c < tb->ncols; c++) {
				fputs(row ? "<td>" : "<th>", f);
				esc(f, gb_rtable_cell(tb, row, c));
				fputs(row ? "</td>" : "</th>", f);
			}
			fputs("</tr>\n", f);
		}
		fputs("</table>\n", f);
		if (tb->note[0]) {
			fputs("<p class=\"note\">", f);
			esc(f, tb->note);
			fputs("</p>\n", f);
		}
	}
}

int gb_report_write_html(const struct gb_report_format *self, const struct gb_report *r, FILE *f)
{
	struct rtable *t = NULL;
	size_t nt = 0;
	char buf[256];
	int ret, err = 0;

	(void)self;
	if ((ret = gb_rtables_build(r, &t, &nt)))
		return ret;
	/* The browser itself keeps the page from fetching anything: no
	 * source but the page's own inline scripts and styles (Vega compiles
	 * its expressions with Function, hence unsafe-eval). */
	fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
	      "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
	      "script-src 'unsafe-inline' 'unsafe-eval'; style-src 'unsafe-inline'; img-src data:\">\n"
	      "<title>greenbench: ", f);
	esc(f, r->info.name);
	fprintf(f, "</title>\n<style>%s</style>\n", css);
	if (gb_vega_js[0]) {
		/* The libraries, inline (Vega, Vega-Lite, vega-embed: BSD-3-Clause). */
		fputs("<script>", f);
		script_text(f, gb_vega_js, 0);
		fputs("</script>\n<script>", f);
		script_text(f, gb_vega_lite_js, 0);
		fputs("</script>\n<script>", f);
		script_text(f, gb_vega_embed_js, 0);
		fputs("</script>\n", f);
	}
	fprintf(f, "</head>\n<body>\n<div id=\"gb-status\"></div>\n<h1>Campaign %lld: ", (long long)r->info.id);
	esc(f, r->info.name);
	fputs("</h1>\n<p>", f);
	esc(f, r->info.file);
	fprintf(f, ", seed %llu, started %s, %zu of %zu runs recorded.</p>\n", (unsigned long long)r->info.seed,
		r->info.created_at, r->info.nruns_done, r->info.nruns_planned);
	if (r->nwarnings) {
		fputs("<h2>Warnings</h2><ul class=\"warn\">\n", f);
		for (size_t i = 0; i < r->nwarnings; i++) {
			fputs("<li>", f);
			esc(f, r->warnings[i]);
			fputs("</li>\n", f);
		}
		fputs("</ul>\n", f);
	}
	write_charts(r, f);
	write_tables(t, nt, f);
	fputs("<h2>Correlations</h2><ul>\n", f);
	for (int w = 0; w < 2; w++) {
		gb_report_corr_text(r, w, buf, sizeof buf);
		fputs("<li>", f);
		esc(f, buf);
		fputs("</li>\n", f);
	}
	fputs("</ul>\n<p class=\"note\">Generated by greenbench; charts by Vega-Lite.</p>\n", f);
	if (gb_vega_js[0]) {
		write_chart_data(r, f, &err);
		fputs("<script>", f);
		fputs(page_js, f);
		fputs("</script>\n", f);
	}
	fputs("</body></html>\n", f);
	gb_rtables_free(t, nt);
	if (err)
		return gb_error_set(err, "cannot write the charts' data: %s", strerror(-err));
	return 0;
}
