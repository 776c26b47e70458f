/*
 * agent_stats.c: what the agent reads from a membrane's stack: the
 * statistics over its endpoint (the "health" line: segments, failed
 * connects, resets, retransmissions, RTT p99) and the bus file.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mbstack.h"
#include "agent_pvt.h"

int
stats_read(const char *membrane, struct stack_health *h, char *err,
    size_t errlen)
{
	char	 path[POL_PATH_MAX], *line, *save = NULL;
	size_t	 len = 0;
	FILE	*f;
	int	 rc;
	bool	 found = false;

	memset(h, 0, sizeof(*h));
	snprintf(path, sizeof(path), "%s/%s/stack.sock", agent.run_dir,
	    membrane);
	if ((f = open_memstream(&h->text, &len)) == NULL)
		return -errno;
	rc = mbs_stats(path, f, err, errlen);
	fclose(f);
	if (rc < 0) {
		if (err[0] == '\0')
			snprintf(err, errlen, "%s: %s", path, strerror(-rc));
		stats_free(h);
		return rc;
	}
	/* strtok_r on a copy: text stays whole for inspect. */
	{
		char *copy = strdup(h->text);

		if (copy == NULL) {
			stats_free(h);
			return -ENOMEM;
		}
		for (line = strtok_r(copy, "\n", &save); line != NULL;
		    line = strtok_r(NULL, "\n", &save)) {
			unsigned long long so, si, cf, rs, rt;
			int p99;
			unsigned n;

			if (sscanf(line, "health: segments out %llu in %llu, "
			    "connects failed %llu, resets %llu, rtx %llu, "
			    "rtt p99 %d ms of %u", &so, &si, &cf, &rs, &rt,
			    &p99, &n) == 7) {
				h->seg_out = so;
				h->seg_in = si;
				h->conn_failed = cf;
				h->resets = rs;
				h->rtx = rt;
				h->rtt_p99_ms = p99;
				h->rtt_n = n;
				found = true;
			}
		}
		free(copy);
	}
	if (!found) {
		snprintf(err, errlen, "the stack of %s gave no health line",
		    membrane);
		stats_free(h);
		return -EPROTO;
	}
	return 0;
}

void
stats_free(struct stack_health *h)
{
	free(h->text);
	h->text = NULL;
}

/*
 * A field of the membrane's bus file (the stack writes it: one JSON
 * object on one line): a string's contents or an array as written.
 */
int
stats_bus_field(const char *membrane, const char *key, char *out, size_t len)
{
	char	 path[POL_PATH_MAX], buf[4096], pat[80], *p, *e;
	size_t	 n;
	FILE	*f;

	out[0] = '\0';
	snprintf(path, sizeof(path), "%s/bus/net/%s", agent.run_dir,
	    membrane);
	if ((f = fopen(path, "re")) == NULL)
		return -errno;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	snprintf(pat, sizeof(pat), "\"%s\": ", key);
	if ((p = strstr(buf, pat)) == NULL)
		return -ENOENT;
	p += strlen(pat);
	if (*p == '[')
		e = strchr(p, ']') != NULL ? strchr(p, ']') + 1 : p;
	else if (*p == '"')
		e = strchr(++p, '"');
	else
		e = p + strcspn(p, ",}");
	if (e == NULL)
		return -EPROTO;
	snprintf(out, len, "%.*s", (int)(e - p), p);
	return 0;
}
