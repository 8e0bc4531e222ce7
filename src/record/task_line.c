/*
 * A campaign task's records file, line by line (greenbench/record.h):
 * the writer and the reader of one line, with the record inside whole.
 */
#include "greenbench/record.h"

#include "greenbench/error.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char *const line_kinds[] = {
	[GB_TASK_LINE_START] = "start",
	[GB_TASK_LINE_RUN] = "run",
	[GB_TASK_LINE_IDLE] = "idle",
};

static void add_num_valid(cJSON *o, const char *key, double v)
{
	if (!isnan(v))
		cJSON_AddNumberToObject(o, key, v);
}

static void add_str_set(cJSON *o, const char *key, const char *v)
{
	if (v)
		cJSON_AddStringToObject(o, key, v);
}

char *gb_task_line_format(const struct gb_task_line *l)
{
	cJSON *o = cJSON_CreateObject(), *rec = NULL;
	char *text = NULL;

	if (!o)
		return NULL;
	cJSON_AddStringToObject(o, GB_RK_LINE, line_kinds[l->kind]);
	cJSON_AddNumberToObject(o, GB_RK_CAMPAIGN, (double)l->campaign);
	switch (l->kind) {
	case GB_TASK_LINE_START:
		cJSON_AddNumberToObject(o, GB_RK_SUBMISSION, l->submission);
		cJSON_AddNumberToObject(o, GB_RK_TASK, l->task);
		cJSON_AddNumberToObject(o, GB_RK_PID, (double)l->pid);
		cJSON_AddNumberToObject(o, GB_RK_TIME, (double)l->time_unix);
		add_str_set(o, GB_RK_JOB_ID, l->job_id);
		add_str_set(o, GB_RK_NODE, l->node);
		break;
	case GB_TASK_LINE_RUN:
		cJSON_AddNumberToObject(o, GB_RK_SEQ, (double)l->seq);
		cJSON_AddNumberToObject(o, GB_RK_CONFIG, (double)l->config);
		cJSON_AddNumberToObject(o, GB_RK_REP, l->rep);
		cJSON_AddBoolToObject(o, GB_RK_OK, l->ok);
		add_str_set(o, GB_RK_REASON, l->reason);
		add_str_set(o, GB_RK_STDERR_TAIL, l->stderr_tail);
		cJSON_AddNumberToObject(o, GB_RK_WALL, l->wall_s);
		if (l->record_json) {
			if (!(rec = cJSON_Parse(l->record_json)))
				goto out;
			cJSON_AddItemToObject(o, GB_RK_RECORD, rec);
		}
		break;
	case GB_TASK_LINE_IDLE:
		cJSON_AddNumberToObject(o, GB_RK_BEFORE_SEQ, (double)l->before_seq);
		cJSON_AddNumberToObject(o, GB_RK_DURATION, l->duration_s);
		add_str_set(o, GB_RK_DOMAIN, l->domain);
		add_num_valid(o, GB_RK_POWER_W, l->power_w);
		add_num_valid(o, GB_RK_TEMP_C, l->temp_c);
		break;
	}
	text = cJSON_PrintUnformatted(o);
out:
	cJSON_Delete(o);
	return text;
}

static int get_num(const cJSON *o, const char *key, int required, double *v)
{
	const cJSON *it = cJSON_GetObjectItemCaseSensitive(o, key);

	if (!cJSON_IsNumber(it)) {
		*v = NAN;
		return required ? gb_error_set(-EINVAL, "a task line without '%s'", key) : 0;
	}
	*v = it->valuedouble;
	return 0;
}

static const char *get_str(const cJSON *o, const char *key)
{
	return cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, key));
}

int gb_task_line_parse(const char *text, struct gb_task_line *l, cJSON **owner)
{
	cJSON *o = cJSON_Parse(text);
	const char *kind = get_str(o, GB_RK_LINE);
	double v[6];
	int ret = -EINVAL;
	size_t k;

	memset(l, 0, sizeof *l);
	*owner = NULL;
	if (!cJSON_IsObject(o) || !kind) {
		ret = gb_error_set(-EINVAL, "not a task line");
		goto out;
	}
	for (k = 0; k < sizeof line_kinds / sizeof line_kinds[0] && strcmp(kind, line_kinds[k]); k++)
		;
	if (k == sizeof line_kinds / sizeof line_kinds[0]) {
		ret = gb_error_set(-EINVAL, "unknown task line '%s'", kind);
		goto out;
	}
	l->kind = (enum gb_task_line_kind)k;
	if ((ret = get_num(o, GB_RK_CAMPAIGN, 1, &v[0])))
		goto out;
	l->campaign = (int64_t)v[0];
	switch (l->kind) {
	case GB_TASK_LINE_START:
		if ((ret = get_num(o, GB_RK_SUBMISSION, 1, &v[0])) || (ret = get_num(o, GB_RK_TASK, 1, &v[1])) ||
		    (ret = get_num(o, GB_RK_PID, 0, &v[2])) || (ret = get_num(o, GB_RK_TIME, 0, &v[3])))
			goto out;
		l->submission = (int)v[0];
		l->task = (int)v[1];
		l->pid = isnan(v[2]) ? 0 : (long)v[2];
		l->time_unix = isnan(v[3]) ? 0 : (int64_t)v[3];
		l->job_id = get_str(o, GB_RK_JOB_ID);
		l->node = get_str(o, GB_RK_NODE);
		break;
	case GB_TASK_LINE_RUN: {
		const cJSON *rec = cJSON_GetObjectItemCaseSensitive(o, GB_RK_RECORD);

		if ((ret = get_num(o, GB_RK_SEQ, 1, &v[0])) || (ret = get_num(o, GB_RK_CONFIG, 1, &v[1])) ||
		    (ret = get_num(o, GB_RK_REP, 1, &v[2])) || (ret = get_num(o, GB_RK_WALL, 0, &v[3])))
			goto out;
		if (v[0] < 0 || v[1] < 0 || v[2] < 0) {
			ret = gb_error_set(-EINVAL, "a task line with a negative seq, config or rep");
			goto out;
		}
		l->seq = (int64_t)v[0];
		l->config = (size_t)v[1];
		l->rep = (unsigned)v[2];
		l->wall_s = isnan(v[3]) ? 0 : v[3];
		l->ok = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, GB_RK_OK));
		l->reason = get_str(o, GB_RK_REASON);
		l->stderr_tail = get_str(o, GB_RK_STDERR_TAIL);
		if (cJSON_IsObject(rec) && !(l->record_json = cJSON_PrintUnformatted(rec))) {
			ret = gb_error_set(-ENOMEM, "out of memory");
			goto out;
		}
		break;
	}
	case GB_TASK_LINE_IDLE:
		if ((ret = get_num(o, GB_RK_BEFORE_SEQ, 1, &v[0])) || (ret = get_num(o, GB_RK_DURATION, 1, &v[1])) ||
		    (ret = get_num(o, GB_RK_POWER_W, 0, &l->power_w)) || (ret = get_num(o, GB_RK_TEMP_C, 0, &l->temp_c)))
			goto out;
		l->before_seq = (int64_t)v[0];
		l->duration_s = v[1];
		l->domain = get_str(o, GB_RK_DOMAIN);
		if (!l->domain) {
			ret = gb_error_set(-EINVAL, "an idle line without '%s'", GB_RK_DOMAIN);
			goto out;
		}
		break;
	}
	ret = 0;
out:
	if (ret) {
		cJSON_Delete(o);
		memset(l, 0, sizeof *l);
	} else {
		*owner = o;
	}
	return ret;
}
