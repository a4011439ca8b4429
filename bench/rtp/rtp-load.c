/*
 * RTP load generator and receiver for the relay benchmark (bench/rtp-relay.bench.ts).
 *
 * Plays many G.711 streams at 20 ms packet time (50 packets/s each) through a relay under test
 * and measures what comes back. Written in C so that the generator, not the relay, is never the
 * bottleneck: sends are batched with sendmmsg(2), receives with recvmmsg(2), and receive times
 * are the kernel's (SO_TIMESTAMPNS), taken when the relay handed the packet to loopback, so the
 * generator's own scheduling delay on receive does not count against the relay.
 *
 * Protocol on stdin/stdout:
 *   1. binds --sockets UDP sockets on 127.0.0.1 and prints "ports P1 P2 ... PK\n";
 *   2. reads "streams M\n" and M lines "SOCKET_INDEX DESTINATION_PORT\n" (the relay's ports);
 *   3. plays the streams: --warmup-ms of warm-up (latching), --seconds of measurement in rounds
 *      of --round-ms, then --drain-ms of listening only; prints one JSON line and exits.
 *
 * Figures come per round as well as in total, so that a caller can take the median round: on a
 * shared virtual machine the whole guest is sometimes descheduled for hundreds of milliseconds,
 * which says nothing about the relay. For the same reason a sender that wakes up late does not
 * send the packets it missed in one burst; it skips them (as a real endpoint's clock would) and
 * counts the skip as a stall.
 *
 * --mode relay: packets carry a tag (stream, sequence, send time); latency, loss and reordering
 *   are computed per stream from the tags of what comes back, whichever socket it reaches.
 * --mode conference: every stream has its own socket and what comes back is the relay's own
 *   audio (a conference mix); per socket, packets received and the intervals between them.
 *
 * --relay-pid PID: CPU seconds of that process (all its threads) over the measurement window.
 *
 * --probe-ms MS instead: spins for MS and prints {"available":share,"maxGapMs":ms}, the share of
 * the time this thread actually ran and its longest absence. Run at top priority on an idle CPU it
 * should be ~1; on an oversubscribed virtual machine it shows how much of the CPU the host takes.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#define PAYLOAD 160
#define PACKET (12 + PAYLOAD)
#define PTIME_NS 20000000LL
#define PHASES 100 /* streams spread over 100 phases, 200 us apart */
#define BATCH 64
#define BUCKET_US 10
#define BUCKETS 20000 /* 10 us buckets up to 200 ms, then one overflow bucket */
#define MAX_ROUNDS 64
#define STALL_NS 5000000LL /* a sender this late has stalled */
#define TAG_MAGIC 0x53545257u /* "STRW" */

struct stream {
	int socket;
	struct sockaddr_in destination;
	uint32_t ssrc;
	uint32_t sequence;
	uint64_t sent_in_window;
	uint64_t received_in_window;
	uint32_t highest_received;
	int received_any;
	uint64_t reordered;
};

struct receiver {
	uint64_t received_in_window;
	int64_t last_arrival_ns;
};

static struct stream *streams;
static int stream_count;
static int *sockets;
static int socket_count;
static struct receiver *receivers;
/* Per round: latency (relay mode) or interval between mixes (conference mode). */
static uint32_t histograms[MAX_ROUNDS][BUCKETS + 1];
static uint64_t round_sent[MAX_ROUNDS], round_received[MAX_ROUNDS];
static int rounds;
static int64_t round_ns;
static int conference_mode;
static int64_t window_start_real, window_end_real;
static uint64_t foreign_packets, send_errors, duplicates;

static int64_t clock_ns(clockid_t clock) {
	struct timespec now;
	clock_gettime(clock, &now);
	return (int64_t)now.tv_sec * 1000000000LL + now.tv_nsec;
}

static void die(const char *what) {
	perror(what);
	exit(2);
}

/* The round a moment of the window falls in, or -1 outside the window. */
static int round_of(int64_t real) {
	if (real < window_start_real || real >= window_end_real) return -1;
	int round = (int)((real - window_start_real) / round_ns);
	return round < rounds ? round : rounds - 1;
}

static void record(uint32_t *histogram, int64_t ns) {
	int64_t bucket = ns < 0 ? 0 : ns / 1000 / BUCKET_US;
	histogram[bucket > BUCKETS ? BUCKETS : bucket]++;
}

/* The value below which a share q of the samples lies, in microseconds (bucket middle); -1 if none. */
static double quantile(const uint32_t *histogram, double q) {
	uint64_t total = 0;
	for (int i = 0; i <= BUCKETS; i++) total += histogram[i];
	if (total == 0) return -1;
	uint64_t rank = (uint64_t)(q * (double)(total - 1)), seen = 0;
	for (int i = 0; i <= BUCKETS; i++) {
		seen += histogram[i];
		if (seen > rank) return i == BUCKETS ? BUCKETS * BUCKET_US : (i + 0.5) * BUCKET_US;
	}
	return BUCKETS * BUCKET_US;
}

/* utime + stime of a process, all threads, from /proc/PID/stat (proc(5) fields 14 and 15). */
static double process_cpu_seconds(int pid) {
	if (pid <= 0) return -1;
	char path[64], text[2048];
	snprintf(path, sizeof path, "/proc/%d/stat", pid);
	FILE *file = fopen(path, "r");
	if (!file) return -1;
	size_t length = fread(text, 1, sizeof text - 1, file);
	fclose(file);
	text[length] = 0;
	char *field = strrchr(text, ')');
	if (!field) return -1;
	unsigned long long utime = 0, stime = 0;
	/* after ") ": state(3) ppid(4) ... utime(14) stime(15) */
	if (sscanf(field + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &utime, &stime) != 2)
		return -1;
	return (double)(utime + stime) / (double)sysconf(_SC_CLK_TCK);
}

static void put32(uint8_t *at, uint32_t value) {
	at[0] = value >> 24;
	at[1] = value >> 16;
	at[2] = value >> 8;
	at[3] = value;
}

static uint32_t get32(const uint8_t *at) {
	return (uint32_t)at[0] << 24 | (uint32_t)at[1] << 16 | (uint32_t)at[2] << 8 | at[3];
}

/* Tag in the payload: magic, stream index, stream sequence, send time (CLOCK_REALTIME ns). */
static void build_packet(uint8_t *packet, struct stream *stream, int index, int64_t sent_real) {
	packet[0] = 0x80;
	packet[1] = 0; /* PCMU */
	packet[2] = stream->sequence >> 8;
	packet[3] = stream->sequence;
	put32(packet + 4, stream->sequence * PAYLOAD);
	put32(packet + 8, stream->ssrc);
	if (conference_mode) return; /* payload is the template's silence */
	put32(packet + 12, TAG_MAGIC);
	put32(packet + 16, (uint32_t)index);
	put32(packet + 20, stream->sequence);
	put32(packet + 24, (uint32_t)((uint64_t)sent_real >> 32));
	put32(packet + 28, (uint32_t)sent_real);
}

static uint8_t send_buffers[BATCH][PACKET];
static struct mmsghdr send_messages[BATCH];
static struct iovec send_vectors[BATCH];

static void flush(int socket, int count) {
	if (count == 0) return;
	int sent = sendmmsg(socket, send_messages, count, MSG_DONTWAIT);
	if (sent < count) send_errors += sent < 0 ? count : count - sent;
}

/*
 * Sends one phase group: streams are ordered by socket, so each run of a socket is one batch.
 * A packet belongs to the window by its send time, as the receiver judges it.
 */
static void send_group(const int *members, int count) {
	int batched = 0, batch_socket = -1;
	int64_t sent_real = clock_ns(CLOCK_REALTIME);
	for (int i = 0; i < count; i++) {
		struct stream *stream = &streams[members[i]];
		if (stream->socket != batch_socket || batched == BATCH) {
			flush(batch_socket, batched);
			batched = 0;
			batch_socket = stream->socket;
			sent_real = clock_ns(CLOCK_REALTIME);
		}
		build_packet(send_buffers[batched], stream, members[i], sent_real);
		send_messages[batched].msg_hdr.msg_name = &stream->destination;
		send_messages[batched].msg_hdr.msg_namelen = sizeof stream->destination;
		batched++;
		stream->sequence++;
		int round = round_of(sent_real);
		if (round >= 0) {
			stream->sent_in_window++;
			round_sent[round]++;
		}
	}
	flush(batch_socket, batched);
}

static uint8_t receive_buffers[BATCH][2048];
static uint8_t receive_controls[BATCH][CMSG_SPACE(sizeof(struct timespec))];
static struct mmsghdr receive_messages[BATCH];
static struct iovec receive_vectors[BATCH];

static int64_t arrival_real(struct msghdr *header) {
	for (struct cmsghdr *c = CMSG_FIRSTHDR(header); c; c = CMSG_NXTHDR(header, c)) {
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS) {
			struct timespec at;
			memcpy(&at, CMSG_DATA(c), sizeof at);
			return (int64_t)at.tv_sec * 1000000000LL + at.tv_nsec;
		}
	}
	return clock_ns(CLOCK_REALTIME);
}

static void receive_tagged(const uint8_t *packet, int length, int64_t arrived) {
	if (length < 32 || get32(packet + 12) != TAG_MAGIC) {
		foreign_packets++;
		return;
	}
	uint32_t index = get32(packet + 16);
	if (index >= (uint32_t)stream_count) {
		foreign_packets++;
		return;
	}
	struct stream *stream = &streams[index];
	uint32_t sequence = get32(packet + 20);
	int64_t sent = (int64_t)((uint64_t)get32(packet + 24) << 32 | get32(packet + 28));
	if (stream->received_any && sequence == stream->highest_received) {
		duplicates++;
		return;
	}
	if (stream->received_any && sequence < stream->highest_received) stream->reordered++;
	else stream->highest_received = sequence;
	stream->received_any = 1;
	int round = round_of(sent);
	if (round < 0) return;
	stream->received_in_window++;
	round_received[round]++;
	record(histograms[round], arrived - sent);
}

static void receive_mix(int socket_index, int64_t arrived) {
	struct receiver *receiver = &receivers[socket_index];
	int round = round_of(arrived);
	if (round >= 0) {
		receiver->received_in_window++;
		round_received[round]++;
		if (receiver->last_arrival_ns >= window_start_real) record(histograms[round], arrived - receiver->last_arrival_ns);
	}
	receiver->last_arrival_ns = arrived;
}

static void drain(int socket_index) {
	int socket = sockets[socket_index];
	for (;;) {
		for (int i = 0; i < BATCH; i++) receive_messages[i].msg_hdr.msg_controllen = sizeof receive_controls[i];
		int count = recvmmsg(socket, receive_messages, BATCH, MSG_DONTWAIT, NULL);
		if (count <= 0) {
			if (count < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != ECONNREFUSED) die("recvmmsg");
			return;
		}
		for (int i = 0; i < count; i++) {
			int64_t arrived = arrival_real(&receive_messages[i].msg_hdr);
			if (conference_mode) receive_mix(socket_index, arrived);
			else receive_tagged(receive_buffers[i], (int)receive_messages[i].msg_len, arrived);
		}
		if (count < BATCH) return;
	}
}

/* Gaps longer than this between two clock reads are time the thread did not run. */
#define PROBE_GAP_NS 20000LL

static int probe(int milliseconds) {
	int64_t start = clock_ns(CLOCK_MONOTONIC), end = start + milliseconds * 1000000LL, absent = 0, longest = 0;
	for (int64_t before = start, now; (now = clock_ns(CLOCK_MONOTONIC)) < end; before = now) {
		if (now - before > PROBE_GAP_NS) {
			absent += now - before;
			if (now - before > longest) longest = now - before;
		}
	}
	printf("{\"available\":%.3f,\"maxGapMs\":%.3f}\n", 1 - (double)absent / (end - start), longest / 1e6);
	return 0;
}

static int compare_by_socket(const void *a, const void *b) {
	return streams[*(const int *)a].socket - streams[*(const int *)b].socket;
}

static void arm(int timer, int64_t at_mono) {
	struct itimerspec spec = {0};
	spec.it_value.tv_sec = at_mono / 1000000000LL;
	spec.it_value.tv_nsec = at_mono % 1000000000LL;
	if (timerfd_settime(timer, TFD_TIMER_ABSTIME, &spec, NULL) < 0) die("timerfd_settime");
}

int main(int argc, char **argv) {
	int warmup_ms = 1000, drain_ms = 300, relay_pid = 0, round_ms = 1000;
	double seconds = 5;
	for (int i = 1; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--sockets")) socket_count = atoi(argv[i + 1]);
		else if (!strcmp(argv[i], "--warmup-ms")) warmup_ms = atoi(argv[i + 1]);
		else if (!strcmp(argv[i], "--seconds")) seconds = atof(argv[i + 1]);
		else if (!strcmp(argv[i], "--drain-ms")) drain_ms = atoi(argv[i + 1]);
		else if (!strcmp(argv[i], "--round-ms")) round_ms = atoi(argv[i + 1]);
		else if (!strcmp(argv[i], "--relay-pid")) relay_pid = atoi(argv[i + 1]);
		else if (!strcmp(argv[i], "--mode")) conference_mode = !strcmp(argv[i + 1], "conference");
		else if (!strcmp(argv[i], "--probe-ms")) return probe(atoi(argv[i + 1]));
		else {
			fprintf(stderr, "unknown option %s\n", argv[i]);
			return 2;
		}
	}
	if (socket_count <= 0 || round_ms <= 0 || seconds <= 0) {
		fprintf(stderr, "--sockets N required; --round-ms and --seconds positive\n");
		return 2;
	}
	round_ns = round_ms * 1000000LL;
	rounds = (int)((seconds * 1e9 + round_ns - 1) / round_ns);
	if (rounds > MAX_ROUNDS) rounds = MAX_ROUNDS;

	int poller = epoll_create1(0);
	if (poller < 0) die("epoll_create1");
	sockets = calloc(socket_count, sizeof *sockets);
	receivers = calloc(socket_count, sizeof *receivers);
	printf("ports");
	for (int i = 0; i < socket_count; i++) {
		int s = socket(AF_INET, SOCK_DGRAM, 0);
		if (s < 0) die("socket");
		int size = 4 << 20, on = 1;
		/* SO_RCVBUFFORCE passes rmem_max when privileged; otherwise the plain option caps it. */
		if (setsockopt(s, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof size) < 0)
			setsockopt(s, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
		if (setsockopt(s, SOL_SOCKET, SO_SNDBUFFORCE, &size, sizeof size) < 0)
			setsockopt(s, SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
		setsockopt(s, SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof on);
		struct sockaddr_in address = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
		if (bind(s, (struct sockaddr *)&address, sizeof address) < 0) die("bind");
		socklen_t length = sizeof address;
		getsockname(s, (struct sockaddr *)&address, &length);
		struct epoll_event event = {.events = EPOLLIN, .data.u32 = (uint32_t)i};
		if (epoll_ctl(poller, EPOLL_CTL_ADD, s, &event) < 0) die("epoll_ctl");
		sockets[i] = s;
		printf(" %d", ntohs(address.sin_port));
	}
	printf("\n");
	fflush(stdout);

	if (scanf(" streams %d", &stream_count) != 1 || stream_count < 0) {
		fprintf(stderr, "expected \"streams M\"\n");
		return 2;
	}
	streams = calloc(stream_count > 0 ? stream_count : 1, sizeof *streams);
	for (int i = 0; i < stream_count; i++) {
		int socket_index, port;
		if (scanf(" %d %d", &socket_index, &port) != 2 || socket_index < 0 || socket_index >= socket_count) {
			fprintf(stderr, "bad stream line %d\n", i);
			return 2;
		}
		streams[i].socket = sockets[socket_index];
		streams[i].destination.sin_family = AF_INET;
		streams[i].destination.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		streams[i].destination.sin_port = htons((uint16_t)port);
		streams[i].ssrc = 0x10000u + (uint32_t)i;
	}

	/* Phase groups, each ordered by socket for batching. */
	int *members = malloc(sizeof(int) * (stream_count > 0 ? stream_count : 1));
	int group_start[PHASES + 1];
	for (int g = 0, n = 0; g < PHASES; g++) {
		group_start[g] = n;
		for (int i = g; i < stream_count; i += PHASES) members[n++] = i;
	}
	group_start[PHASES] = stream_count;
	for (int g = 0; g < PHASES; g++)
		qsort(members + group_start[g], group_start[g + 1] - group_start[g], sizeof(int), compare_by_socket);

	for (int i = 0; i < BATCH; i++) {
		memset(send_buffers[i], 0xff, PACKET); /* 0xff: PCMU silence */
		send_vectors[i] = (struct iovec){.iov_base = send_buffers[i], .iov_len = PACKET};
		send_messages[i].msg_hdr.msg_iov = &send_vectors[i];
		send_messages[i].msg_hdr.msg_iovlen = 1;
		receive_vectors[i] = (struct iovec){.iov_base = receive_buffers[i], .iov_len = sizeof receive_buffers[i]};
		receive_messages[i].msg_hdr.msg_iov = &receive_vectors[i];
		receive_messages[i].msg_hdr.msg_iovlen = 1;
		receive_messages[i].msg_hdr.msg_control = receive_controls[i];
	}

	int timer = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK);
	if (timer < 0) die("timerfd_create");
	struct epoll_event timer_event = {.events = EPOLLIN, .data.u32 = UINT32_MAX};
	if (epoll_ctl(poller, EPOLL_CTL_ADD, timer, &timer_event) < 0) die("epoll_ctl timer");

	int64_t start_mono = clock_ns(CLOCK_MONOTONIC) + 10000000LL;
	int64_t start_real = clock_ns(CLOCK_REALTIME) + 10000000LL;
	int64_t window_start_mono = start_mono + warmup_ms * 1000000LL;
	int64_t window_end_mono = window_start_mono + (int64_t)(seconds * 1e9);
	int64_t stop_mono = window_end_mono + drain_ms * 1000000LL;
	window_start_real = start_real + warmup_ms * 1000000LL;
	window_end_real = window_start_real + (int64_t)(seconds * 1e9);

	int64_t due = start_mono;
	int phase = 0, window_open = 0, window_closed = 0;
	double relay_cpu_start = 0, relay_cpu_end = 0, own_cpu_start = 0, own_cpu_end = 0;
	int64_t max_lag = 0;
	uint64_t stalls = 0, skipped = 0;
	struct epoll_event events[256];
	for (;;) {
		int64_t now = clock_ns(CLOCK_MONOTONIC);
		if (due < window_end_mono && now - due > STALL_NS) {
			/* Woke up late: skip whole packet times rather than burst them out. */
			int64_t late_ptimes = (now - due) / PTIME_NS;
			if (due >= window_start_mono) {
				stalls++;
				if (now - due > max_lag) max_lag = now - due;
				skipped += (uint64_t)late_ptimes * (uint64_t)stream_count;
			}
			due += late_ptimes * PTIME_NS;
		}
		while (due < window_end_mono && due <= now) {
			if (due >= window_start_mono && now - due > max_lag) max_lag = now - due;
			send_group(members + group_start[phase], group_start[phase + 1] - group_start[phase]);
			if (++phase == PHASES) phase = 0;
			due += PTIME_NS / PHASES;
		}
		if (!window_open && now >= window_start_mono) {
			window_open = 1;
			relay_cpu_start = process_cpu_seconds(relay_pid);
			own_cpu_start = clock_ns(CLOCK_PROCESS_CPUTIME_ID) / 1e9;
		}
		if (!window_closed && now >= window_end_mono) {
			window_closed = 1;
			relay_cpu_end = process_cpu_seconds(relay_pid);
			own_cpu_end = clock_ns(CLOCK_PROCESS_CPUTIME_ID) / 1e9;
		}
		if (now >= stop_mono) break;
		int64_t next = due < window_end_mono ? due : stop_mono;
		if (!window_open && window_start_mono < next) next = window_start_mono;
		if (!window_closed && window_end_mono < next) next = window_end_mono;
		arm(timer, next);
		int ready = epoll_wait(poller, events, 256, -1);
		if (ready < 0 && errno != EINTR) die("epoll_wait");
		for (int i = 0; i < ready; i++) {
			if (events[i].data.u32 == UINT32_MAX) {
				uint64_t expirations;
				if (read(timer, &expirations, sizeof expirations) < 0 && errno != EAGAIN) die("read timerfd");
			} else {
				drain((int)events[i].data.u32);
			}
		}
	}

	uint64_t sent = 0, received = 0, lost = 0, reordered = 0, lossy_streams = 0;
	for (int i = 0; i < stream_count; i++) {
		sent += streams[i].sent_in_window;
		received += streams[i].received_in_window;
		reordered += streams[i].reordered;
		if (streams[i].received_in_window < streams[i].sent_in_window) {
			lost += streams[i].sent_in_window - streams[i].received_in_window;
			lossy_streams++;
		}
	}
	/* A receiver may see one packet fewer than the window holds, from where the window cuts its phase. */
	uint64_t mixes_received = 0, short_receivers = 0, expected_per_receiver = (uint64_t)(seconds * 1e9 / PTIME_NS);
	for (int i = 0; i < socket_count; i++) {
		mixes_received += receivers[i].received_in_window;
		if (receivers[i].received_in_window + 1 < expected_per_receiver) short_receivers++;
	}
	static uint32_t total[BUCKETS + 1];
	for (int r = 0; r < rounds; r++)
		for (int i = 0; i <= BUCKETS; i++) total[i] += histograms[r][i];
	double relay_cpu = relay_pid > 0 && relay_cpu_start >= 0 && relay_cpu_end >= 0 ? relay_cpu_end - relay_cpu_start : -1;
	printf(
		"{\"seconds\":%.3f,\"sent\":%llu,\"received\":%llu,\"lost\":%llu,\"lossyStreams\":%llu,"
		"\"reordered\":%llu,\"duplicates\":%llu,\"foreign\":%llu,\"sendErrors\":%llu,\"shortReceivers\":%llu,"
		"\"p50Us\":%.1f,\"p99Us\":%.1f,\"p999Us\":%.1f,\"maxUs\":%.1f,"
		"\"stalls\":%llu,\"skipped\":%llu,\"maxLagUs\":%.1f,\"relayCpuSeconds\":%.3f,\"generatorCpuSeconds\":%.3f,"
		"\"roundSeconds\":%.3f,\"rounds\":[",
		seconds, (unsigned long long)sent, (unsigned long long)(conference_mode ? mixes_received : received),
		(unsigned long long)lost, (unsigned long long)lossy_streams, (unsigned long long)reordered,
		(unsigned long long)duplicates, (unsigned long long)foreign_packets, (unsigned long long)send_errors,
		(unsigned long long)short_receivers, quantile(total, 0.5), quantile(total, 0.99), quantile(total, 0.999),
		quantile(total, 1), (unsigned long long)stalls, (unsigned long long)skipped, max_lag / 1000.0, relay_cpu,
		own_cpu_end - own_cpu_start, round_ms / 1000.0);
	for (int r = 0; r < rounds; r++) {
		printf("%s{\"sent\":%llu,\"received\":%llu,\"p50Us\":%.1f,\"p99Us\":%.1f}", r ? "," : "",
			(unsigned long long)round_sent[r], (unsigned long long)round_received[r], quantile(histograms[r], 0.5),
			quantile(histograms[r], 0.99));
	}
	printf("]}\n");
	return 0;
}
