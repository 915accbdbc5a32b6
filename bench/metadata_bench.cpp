// Metadata writes through the controller quorum (issue 6): creates N one-partition topics with K
// create requests in flight on one connection, then deletes them the same way, and prints
//
//   creates/s: X  deletes/s: Y  p50_ms: A  p99_ms: B      (latency of one create)
//
// Every create and delete is one Raft record committed by a majority of the controllers (each
// fsyncs its log) and applied on every node, which then hosts or drops the topic.
//
//   sluice-bench-metadata --bootstrap HOST:PORT [--topics N] [--in-flight K] [--prefix P]
//
// bench/cluster-metadata runs it against deploy/cluster up 3 beside the disk's fsync rate.

#include "client/connection.hpp"
#include "client/latency_histogram.hpp"
#include "schema/topics.hpp"
#include "schema/type_ids.hpp"

#include <caf/event_based_actor.hpp>
#include <caf/scoped_actor.hpp>
#include <spdlog/spdlog.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace {

using namespace sluice;
using sclock = std::chrono::steady_clock;

struct bench_args {
  std::string bootstrap = "127.0.0.1:9301";
  int topics = 2000;
  int in_flight = 64;
  std::string prefix = "bench-md";
};

struct run_result {
  int ok = 0;
  int failed = 0;
  std::string first_error;
  double seconds = 0;
  client::latency_histogram latency;
};

// Keeps `in_flight` requests outstanding until `total` were answered; one per topic index.
class driver : public caf::event_based_actor {
public:
  using make_request = std::function<schema::envelope(int)>;

  driver(caf::actor_config& cfg, actors::node_actor node, int total, int in_flight, bool create,
         make_request make, std::shared_ptr<run_result> out)
    : caf::event_based_actor(cfg), node_(std::move(node)), total_(total), in_flight_(in_flight),
      create_(create), make_(std::move(make)), out_(std::move(out)) {}

  caf::behavior make_behavior() override {
    start_ = sclock::now();
    for (int i = 0; i < in_flight_ && next_ < total_; ++i)
      send_one();
    return {[](caf::unit_t) {}};
  }

private:
  void send_one() {
    int i = next_++;
    auto sent = sclock::now();
    auto on_reply = [this, sent](const schema::envelope& e) {
      out_->latency.record(static_cast<uint64_t>(
        std::chrono::duration_cast<std::chrono::microseconds>(sclock::now() - sent).count()));
      std::string err;
      if (create_) {
        auto r = schema::decode<schema::create_topics_response>(e);
        if (!r || r->topics.empty() || !r->topics[0].error.ok())
          err = !r ? r.err().to_string() : r->topics.empty() ? "no answer" : r->topics[0].error.to_string();
      } else {
        auto r = schema::decode<schema::delete_topics_response>(e);
        if (!r || r->topics.empty() || !r->topics[0].error.ok())
          err = !r ? r.err().to_string() : r->topics.empty() ? "no answer" : r->topics[0].error.to_string();
      }
      done(err);
    };
    auto on_error = [this](caf::error& e) { done(to_string(e)); };
    if (create_)
      request(node_, std::chrono::seconds(60), create_topics_atom_v, make_(i)).then(on_reply, on_error);
    else
      request(node_, std::chrono::seconds(60), delete_topics_atom_v, make_(i)).then(on_reply, on_error);
  }

  void done(const std::string& err) {
    if (err.empty()) {
      ++out_->ok;
    } else {
      if (out_->failed++ == 0)
        out_->first_error = err;
    }
    if (++answered_ == total_) {
      out_->seconds = std::chrono::duration<double>(sclock::now() - start_).count();
      quit();
      return;
    }
    if (next_ < total_)
      send_one();
  }

  actors::node_actor node_;
  int total_;
  int in_flight_;
  bool create_;
  make_request make_;
  std::shared_ptr<run_result> out_;
  int next_ = 0;
  int answered_ = 0;
  sclock::time_point start_;
};

std::shared_ptr<run_result> run(client::connection& conn, const bench_args& a, bool create) {
  auto out = std::make_shared<run_result>();
  auto name = [&](int i) { return a.prefix + "-" + std::to_string(i); };
  driver::make_request make;
  if (create)
    make = [name](int i) {
      schema::create_topics_request req;
      req.topics.push_back({name(i), 1, 1, {}});
      return encode(req);
    };
  else
    make = [name](int i) { return encode(schema::delete_topics_request{{name(i)}, 30000}); };
  auto d = conn.system().spawn<driver>(conn.node(), a.topics, a.in_flight, create, make, out);
  caf::scoped_actor self{conn.system()};
  self->wait_for(d);
  return out;
}

int usage(const char* why) {
  std::fprintf(stderr, "sluice-bench-metadata: %s\nusage: sluice-bench-metadata --bootstrap HOST:PORT "
                       "[--topics N] [--in-flight K] [--prefix P]\n", why);
  return 2;
}

} // namespace

int main(int argc, char** argv) {
  spdlog::set_level(spdlog::level::warn);
  bench_args a;
  for (int i = 1; i < argc; ++i) {
    std::string flag = argv[i];
    if (i + 1 >= argc)
      return usage(("missing value for " + flag).c_str());
    std::string v = argv[++i];
    if (flag == "--bootstrap")
      a.bootstrap = v;
    else if (flag == "--topics")
      a.topics = std::atoi(v.c_str());
    else if (flag == "--in-flight")
      a.in_flight = std::atoi(v.c_str());
    else if (flag == "--prefix")
      a.prefix = v;
    else
      return usage(("unknown flag " + flag).c_str());
  }
  if (a.topics < 1 || a.topics > 1'000'000 || a.in_flight < 1 || a.in_flight > 10'000)
    return usage("--topics must be in [1, 1000000] and --in-flight in [1, 10000]");
  auto conn = client::connection::open(a.bootstrap);
  if (!conn) {
    std::fprintf(stderr, "sluice-bench-metadata: %s\n", conn.err().to_string().c_str());
    return 1;
  }
  auto created = run(**conn, a, true);
  auto deleted = run(**conn, a, false);
  for (auto* r : {created.get(), deleted.get()})
    if (r->failed)
      std::fprintf(stderr, "sluice-bench-metadata: %d of %d failed, first: %s\n", r->failed,
                   a.topics, r->first_error.c_str());
  std::printf("creates/s: %.0f  deletes/s: %.0f  p50_ms: %.2f  p99_ms: %.2f  (%d topics, %d in flight)\n",
              created->ok / created->seconds, deleted->ok / deleted->seconds,
              created->latency.percentile(50) / 1000.0, created->latency.percentile(99) / 1000.0, a.topics, a.in_flight);
  return created->failed || deleted->failed ? 1 : 0;
}
