/*
 * source-pcap.c - capture files and live interfaces (see source-pcap.h).
 *
 * Packet numbers (pcap_cnt) start at 1 in each run and continue across the
 * files of a folder.  A file that ends in a truncated record is reported
 * and what was read before it is kept.
 */
#include "source-pcap.h"

#include <dirent.h>
#include <errno.h>
#include <pcap/pcap.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../lib/log.h"

struct live_source {
	pcap_t *pc;
	int datalink;
	char iface[64];
};

static int apply_bpf(pcap_t *pc, const char *bpf, const char *what)
{
	struct bpf_program prog;
	if (!bpf || !*bpf)
		return 0;
	if (pcap_compile(pc, &prog, bpf, 1, PCAP_NETMASK_UNKNOWN) < 0) {
		ot_err("%s: BPF filter '%s': %s", what, bpf, pcap_geterr(pc));
		return -1;
	}
	int r = pcap_setfilter(pc, &prog);
	pcap_freecode(&prog);
	if (r < 0) {
		ot_err("%s: cannot set BPF filter: %s", what, pcap_geterr(pc));
		return -1;
	}
	return 0;
}

static void one_packet(struct sensor *s, const struct pcap_pkthdr *h, const u_char *data,
		       int datalink, bool file, struct source_stats *st)
{
	struct packet p;
	st->pkts++;
	packet_from_capture(&p, &h->ts, data, h->caplen, h->len, datalink, file ? st->pkts : 0);
	sensor_packet(s, &p);
}

static int read_file(struct sensor *s, const char *path, const char *bpf,
		     volatile sig_atomic_t *stop, struct source_stats *st)
{
	char err[PCAP_ERRBUF_SIZE];
	pcap_t *pc = pcap_open_offline_with_tstamp_precision(path, PCAP_TSTAMP_PRECISION_MICRO, err);
	if (!pc) {
		ot_err("%s: cannot read as a capture file: %s", path, err);
		return -1;
	}
	if (apply_bpf(pc, bpf, path) < 0) {
		pcap_close(pc);
		return -1;
	}
	int dlt = pcap_datalink(pc);
	struct pcap_pkthdr *h;
	const u_char *data;
	int r;
	while (!*stop && (r = pcap_next_ex(pc, &h, &data)) == 1)
		one_packet(s, h, data, dlt, true, st);
	if (!*stop && r == PCAP_ERROR)
		ot_warn("%s: stopped reading after packet %llu: %s", path,
			(unsigned long long)st->pkts, pcap_geterr(pc));
	pcap_close(pc);
	st->files++;
	return 0;
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int read_folder(struct sensor *s, const char *dir, const char *bpf,
		       volatile sig_atomic_t *stop, struct source_stats *st)
{
	DIR *d = opendir(dir);
	if (!d) {
		ot_err("%s: cannot open folder: %s", dir, strerror(errno));
		return -1;
	}
	char **names = NULL;
	size_t n = 0, cap = 0;
	struct dirent *e;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			char **nn = realloc(names, cap * sizeof(*names));
			if (!nn)
				break;
			names = nn;
		}
		if (asprintf(&names[n], "%s/%s", dir, e->d_name) < 0)
			break;
		n++;
	}
	closedir(d);
	qsort(names, n, sizeof(*names), name_cmp);
	int ok = 0;
	for (size_t i = 0; i < n; i++) {
		struct stat sb;
		if (!*stop && stat(names[i], &sb) == 0 && S_ISREG(sb.st_mode)) {
			if (read_file(s, names[i], bpf, stop, st) == 0)
				ok++;
			else
				st->files_failed++;
		}
		free(names[i]);
	}
	free(names);
	if (!ok)
		ot_err("%s: no capture file could be read", dir);
	return ok ? 0 : -1;
}

int source_read_path(struct sensor *s, const char *path, const char *bpf,
		     volatile sig_atomic_t *stop, struct source_stats *st)
{
	struct stat sb;
	if (stat(path, &sb) < 0) {
		ot_err("%s: %s", path, strerror(errno));
		return -1;
	}
	if (S_ISDIR(sb.st_mode))
		return read_folder(s, path, bpf, stop, st);
	int r = read_file(s, path, bpf, stop, st);
	if (r < 0)
		st->files_failed++;
	return r;
}

struct live_source *source_live_open(const struct live_opts *o)
{
	char err[PCAP_ERRBUF_SIZE];
	struct live_source *ls = calloc(1, sizeof(*ls));
	if (!ls)
		return NULL;
	snprintf(ls->iface, sizeof(ls->iface), "%s", o->iface);
	ls->pc = pcap_create(o->iface, err);
	if (!ls->pc) {
		ot_err("interface %s: %s", o->iface, err);
		free(ls);
		return NULL;
	}
	pcap_set_snaplen(ls->pc, o->snaplen);
	pcap_set_promisc(ls->pc, o->promisc);
	pcap_set_buffer_size(ls->pc, o->buffer_size);
	pcap_set_timeout(ls->pc, 100);
	pcap_set_immediate_mode(ls->pc, 0);
	int r = pcap_activate(ls->pc);
	if (r < 0) {
		ot_err("interface %s: cannot start capture: %s", o->iface, pcap_geterr(ls->pc));
		goto err;
	}
	if (r > 0)
		ot_warn("interface %s: %s", o->iface, pcap_statustostr(r));
	if (apply_bpf(ls->pc, o->bpf, o->iface) < 0)
		goto err;
	ls->datalink = pcap_datalink(ls->pc);
	return ls;
err:
	pcap_close(ls->pc);
	free(ls);
	return NULL;
}

struct live_ctx {
	struct sensor *s;
	struct source_stats *st;
	int datalink;
};

static void live_cb(u_char *arg, const struct pcap_pkthdr *h, const u_char *data)
{
	struct live_ctx *lc = (struct live_ctx *)arg;
	one_packet(lc->s, h, data, lc->datalink, false, lc->st);
}

int source_live_run(struct live_source *ls, struct sensor *s, volatile sig_atomic_t *stop,
		    struct source_stats *st)
{
	struct live_ctx lc = { s, st, ls->datalink };
	while (!*stop) {
		int n = pcap_dispatch(ls->pc, 1024, live_cb, (u_char *)&lc);
		if (n < 0) {
			if (n == PCAP_ERROR_BREAK)
				break;
			ot_err("interface %s: capture failed: %s", ls->iface, pcap_geterr(ls->pc));
			return -1;
		}
		if (n == 0) {
			struct timeval now;
			gettimeofday(&now, NULL);
			sensor_tick(s, &now);
		}
	}
	struct pcap_stat ps;
	if (pcap_stats(ls->pc, &ps) == 0)
		st->kernel_drops = ps.ps_drop + ps.ps_ifdrop;
	return 0;
}

void source_live_break(struct live_source *ls)
{
	pcap_breakloop(ls->pc);
}

void source_live_close(struct live_source *ls)
{
	if (!ls)
		return;
	pcap_close(ls->pc);
	free(ls);
}
