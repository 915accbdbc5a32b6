/* kafka_client: a small librdkafka program (Debian's librdkafka-dev, unmodified) that drives
 * Sluice's Kafka listener the way an application would. Used by tests/integration/kafka.sh
 * and bench/kafka.
 *
 *   kafka_client create BROKER TOPIC PARTITIONS    CreateTopics (admin API), replication 1
 *   kafka_client delete BROKER TOPIC               DeleteTopics
 *   kafka_client produce BROKER TOPIC N            N records "rec-<i>" (key "k<i>"), acks=all;
 *                                                  exit 0 only when every one was delivered
 *   kafka_client consume BROKER TOPIC GROUP N      subscribe with GROUP, read until every
 *                                                  "rec-<i>", i < N, was seen, commit; exit 0
 *                                                  only if each came exactly once (60 s bound)
 *   kafka_client perf BROKER TOPIC N SIZE ACKS     N records of SIZE bytes; last line
 *                                                  "records/s: X  MB/s: Y"
 */
#include <librdkafka/rdkafka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int delivery_failures = 0;
static long delivered = 0;

static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque) {
  (void)rk;
  (void)opaque;
  if (m->err) {
    if (delivery_failures++ < 5)
      fprintf(stderr, "kafka_client: delivery failed: %s\n", rd_kafka_err2str(m->err));
  } else {
    delivered++;
  }
}

static rd_kafka_conf_t *make_conf(const char *broker) {
  char err[512];
  rd_kafka_conf_t *conf = rd_kafka_conf_new();
  if (rd_kafka_conf_set(conf, "bootstrap.servers", broker, err, sizeof err) != RD_KAFKA_CONF_OK) {
    fprintf(stderr, "kafka_client: %s\n", err);
    exit(2);
  }
  return conf;
}

static void set(rd_kafka_conf_t *conf, const char *k, const char *v) {
  char err[512];
  if (rd_kafka_conf_set(conf, k, v, err, sizeof err) != RD_KAFKA_CONF_OK) {
    fprintf(stderr, "kafka_client: %s\n", err);
    exit(2);
  }
}

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int admin(const char *broker, const char *topic, int partitions, int create) {
  char err[512];
  rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, make_conf(broker), err, sizeof err);
  if (!rk) {
    fprintf(stderr, "kafka_client: %s\n", err);
    return 1;
  }
  rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
  rd_kafka_event_t *ev;
  int rc = 1;
  if (create) {
    rd_kafka_NewTopic_t *nt = rd_kafka_NewTopic_new(topic, partitions, 1, err, sizeof err);
    rd_kafka_CreateTopics(rk, &nt, 1, NULL, q);
    ev = rd_kafka_queue_poll(q, 30000);
    rd_kafka_NewTopic_destroy(nt);
  } else {
    rd_kafka_DeleteTopic_t *dt = rd_kafka_DeleteTopic_new(topic);
    rd_kafka_DeleteTopics(rk, &dt, 1, NULL, q);
    ev = rd_kafka_queue_poll(q, 30000);
    rd_kafka_DeleteTopic_destroy(dt);
  }
  if (!ev) {
    fprintf(stderr, "kafka_client: no admin result within 30 s\n");
  } else if (rd_kafka_event_error(ev)) {
    fprintf(stderr, "kafka_client: %s\n", rd_kafka_event_error_string(ev));
  } else {
    const rd_kafka_topic_result_t **res;
    size_t n;
    if (create)
      res = rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(ev), &n);
    else
      res = rd_kafka_DeleteTopics_result_topics(rd_kafka_event_DeleteTopics_result(ev), &n);
    if (n == 1 && rd_kafka_topic_result_error(res[0]) == RD_KAFKA_RESP_ERR_NO_ERROR) {
      rc = 0;
    } else if (n == 1) {
      fprintf(stderr, "kafka_client: %s: %s\n", rd_kafka_topic_result_name(res[0]),
              rd_kafka_err2str(rd_kafka_topic_result_error(res[0])));
    }
  }
  if (ev)
    rd_kafka_event_destroy(ev);
  rd_kafka_queue_destroy(q);
  rd_kafka_destroy(rk);
  return rc;
}

static int produce(const char *broker, const char *topic, long n, int size, const char *acks,
                   int perf) {
  char err[512];
  rd_kafka_conf_t *conf = make_conf(broker);
  set(conf, "acks", acks);
  set(conf, "linger.ms", "5");
  set(conf, "compression.codec", "none");
  rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
  rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
  if (!rk) {
    fprintf(stderr, "kafka_client: %s\n", err);
    return 1;
  }
  char *value = malloc(size > 64 ? size : 64);
  memset(value, 'x', size > 64 ? size : 64);
  char key[32];
  double start = now_s();
  for (long i = 0; i < n; ++i) {
    int klen = snprintf(key, sizeof key, "k%ld", i);
    int vlen = size;
    if (!perf)
      vlen = snprintf(value, 64, "rec-%ld", i);
    for (int tries = 0;; ++tries) {
      rd_kafka_resp_err_t e = rd_kafka_producev(
        rk, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_KEY(key, klen), RD_KAFKA_V_VALUE(value, vlen),
        RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END);
      if (e == RD_KAFKA_RESP_ERR_NO_ERROR)
        break;
      if (e != RD_KAFKA_RESP_ERR__QUEUE_FULL || tries > 100000) {
        fprintf(stderr, "kafka_client: produce: %s\n", rd_kafka_err2str(e));
        return 1;
      }
      rd_kafka_poll(rk, 10);
    }
    rd_kafka_poll(rk, 0);
  }
  if (rd_kafka_flush(rk, 60000) != RD_KAFKA_RESP_ERR_NO_ERROR)
    fprintf(stderr, "kafka_client: %d records still unacknowledged after 60 s\n",
            rd_kafka_outq_len(rk));
  double secs = now_s() - start;
  rd_kafka_destroy(rk);
  free(value);
  if (perf)
    printf("records/s: %.0f  MB/s: %.1f\n", n / secs, n * (double)size / secs / 1e6);
  else
    printf("delivered %ld of %ld\n", delivered, n);
  return delivered == n && delivery_failures == 0 ? 0 : 1;
}

static int consume(const char *broker, const char *topic, const char *group, long n) {
  char err[512];
  rd_kafka_conf_t *conf = make_conf(broker);
  set(conf, "group.id", group);
  set(conf, "auto.offset.reset", "earliest");
  set(conf, "enable.auto.commit", "false");
  rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof err);
  if (!rk) {
    fprintf(stderr, "kafka_client: %s\n", err);
    return 1;
  }
  rd_kafka_poll_set_consumer(rk);
  rd_kafka_topic_partition_list_t *subs = rd_kafka_topic_partition_list_new(1);
  rd_kafka_topic_partition_list_add(subs, topic, RD_KAFKA_PARTITION_UA);
  rd_kafka_resp_err_t e = rd_kafka_subscribe(rk, subs);
  rd_kafka_topic_partition_list_destroy(subs);
  if (e) {
    fprintf(stderr, "kafka_client: subscribe: %s\n", rd_kafka_err2str(e));
    return 1;
  }
  unsigned char *seen = calloc(n, 1);
  long distinct = 0, duplicates = 0, foreign = 0;
  double deadline = now_s() + 60;
  while (distinct < n && now_s() < deadline) {
    rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 500);
    if (!m)
      continue;
    if (m->err) {
      if (m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF)
        fprintf(stderr, "kafka_client: consume: %s\n", rd_kafka_message_errstr(m));
    } else {
      long i = -1;
      char buf[64];
      size_t len = m->len < sizeof buf - 1 ? m->len : sizeof buf - 1;
      memcpy(buf, m->payload, len);
      buf[len] = 0;
      if (sscanf(buf, "rec-%ld", &i) == 1 && i >= 0 && i < n) {
        if (seen[i]++)
          duplicates++;
        else
          distinct++;
      } else {
        foreign++;
      }
    }
    rd_kafka_message_destroy(m);
  }
  e = rd_kafka_commit(rk, NULL, 0);
  if (e)
    fprintf(stderr, "kafka_client: commit: %s\n", rd_kafka_err2str(e));
  rd_kafka_consumer_close(rk);
  rd_kafka_destroy(rk);
  free(seen);
  printf("consumed %ld distinct of %ld, %ld duplicates, %ld foreign\n", distinct, n, duplicates,
         foreign);
  return distinct == n && duplicates == 0 && foreign == 0 && !e ? 0 : 1;
}

int main(int argc, char **argv) {
  if (argc >= 4 && !strcmp(argv[1], "create") && argc == 5)
    return admin(argv[2], argv[3], atoi(argv[4]), 1);
  if (argc == 4 && !strcmp(argv[1], "delete"))
    return admin(argv[2], argv[3], 0, 0);
  if (argc == 5 && !strcmp(argv[1], "produce"))
    return produce(argv[2], argv[3], atol(argv[4]), 0, "all", 0);
  if (argc == 6 && !strcmp(argv[1], "consume"))
    return consume(argv[2], argv[3], argv[4], atol(argv[5]));
  if (argc == 7 && !strcmp(argv[1], "perf"))
    return produce(argv[2], argv[3], atol(argv[4]), atoi(argv[5]), argv[6], 1);
  fprintf(stderr, "usage: kafka_client create|delete|produce|consume|perf ... (see source)\n");
  return 2;
}
