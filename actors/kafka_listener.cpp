#include "actors/kafka_listener.hpp"

#include "kafka/api.hpp"
#include "kafka/codec.hpp"
#include "kafka/request_header.hpp"
#include "kafka/response_queue.hpp"
#include "schema/error_response.hpp"

#include <caf/event_based_actor.hpp>
#include <caf/io/broker.hpp>
#include <caf/io/middleman.hpp>
#include <caf/io/network/multiplexer.hpp>
#include <caf/io/system_messages.hpp>
#include <spdlog/spdlog.h>

#include <chrono>
#include <map>
#include <memory>
#include <type_traits>

namespace sluice::actors {

namespace {

using bytes = std::vector<std::byte>;
using caf::io::connection_handle;
using std::chrono::milliseconds;

struct connection {
  uint64_t id = 0;          // tells a reused handle's new connection from the closed one
  int32_t frame_size = -1;  // -1: reading a size prefix, else the body being read
  kafka::response_queue responses;
  bool halted = false;      // not read while max_in_flight responses are pending
};

struct listener_state {
  kafka_listener_config cfg;
  node_actor node;
  uint64_t next_id = 1;
  std::map<connection_handle, connection> connections;
};

// Where one response goes: a request's place in its connection's order.
struct slot {
  connection_handle hdl;
  uint64_t connection_id;
  uint64_t seq;
  int32_t correlation_id;
  int16_t version;
};

// A node's answer as the response type asked for, or the error it stands for.
template <class Response>
schema::result<Response> read_answer(const schema::envelope& e) {
  if (e.kind == schema::message_kind::error_response) {
    auto er = schema::decode<schema::error_response>(e);
    if (!er)
      return er.err();
    return er->error;
  }
  return schema::decode<Response>(e);
}

schema::error from_caf(const caf::error& err) {
  if (err == caf::sec::request_timeout)
    return {schema::errc::request_timed_out, "the node did not answer in time"};
  return {schema::errc::unknown_server_error, "the node failed the request"};
}

constexpr int64_t default_timeout = 30'000; // ms, for requests the node answers at once

// A response carrying the node's error when it failed (group responses have one error field).
template <class Response>
Response answer_or_error(schema::result<Response> r) {
  if (r)
    return std::move(*r);
  Response answer;
  answer.error = r.err();
  return answer;
}

// Error answers: the request's items, each with `e`.
std::vector<schema::produce_response::partition_response>
refuse_all(const schema::produce_request& req, const schema::error& e) {
  std::vector<schema::produce_response::partition_response> out;
  for (const auto& p : req.partitions) {
    schema::produce_response::partition_response r;
    r.topic = p.topic;
    r.partition = p.partition;
    r.error = e;
    out.push_back(std::move(r));
  }
  return out;
}

schema::fetch_response refuse_all(const schema::fetch_request& req, const schema::error& e) {
  schema::fetch_response out;
  for (const auto& p : req.partitions) {
    schema::fetch_response::partition_response r;
    r.topic = p.topic;
    r.partition = p.partition;
    r.error = e;
    out.partitions.push_back(std::move(r));
  }
  return out;
}

schema::list_offsets_response refuse_all(const schema::list_offsets_request& req,
                                         const schema::error& e) {
  schema::list_offsets_response out;
  for (const auto& p : req.partitions)
    out.partitions.push_back({p.topic, p.partition, e, no_timestamp, offset{-1}, leader_epoch{-1}});
  return out;
}

schema::offset_commit_response refuse_all(const schema::offset_commit_request& req,
                                          const schema::error& e) {
  schema::offset_commit_response out;
  for (const auto& p : req.partitions)
    out.partitions.push_back({p.topic, p.partition, e});
  return out;
}

std::vector<schema::topic_result> refuse_all(const std::vector<std::string>& names,
                                             const schema::error& e) {
  std::vector<schema::topic_result> out;
  for (const auto& n : names)
    out.push_back({n, e});
  return out;
}

// The listener's behaviour; one instance per broker, shared by its handlers.
class kafka_session {
public:
  kafka_session(caf::io::broker* self, std::shared_ptr<listener_state> st)
    : self_(self), st_(std::move(st)) {}

  void on_accept(connection_handle hdl) {
    auto& c = st_->connections[hdl];
    c = connection{};
    c.id = st_->next_id++;
    self_->configure_read(hdl, caf::io::receive_policy::exactly(4));
  }

  void on_closed(connection_handle hdl) { st_->connections.erase(hdl); }

  void on_data(connection_handle hdl, const std::vector<char>& buf) {
    auto it = st_->connections.find(hdl);
    if (it == st_->connections.end())
      return;
    auto& c = it->second;
    if (c.frame_size < 0) {
      kafka::reader r{std::as_bytes(std::span{buf})};
      auto size = r.i32();
      if (!r.ok() || size < 8 || size > kafka::max_request_bytes)
        return drop(hdl, "request size " + std::to_string(size) + " out of bounds");
      c.frame_size = size;
      self_->configure_read(hdl, caf::io::receive_policy::exactly(static_cast<size_t>(size)));
      return;
    }
    c.frame_size = -1;
    self_->configure_read(hdl, caf::io::receive_policy::exactly(4));
    on_request(hdl, c, std::as_bytes(std::span{buf}));
  }

private:
  void drop(connection_handle hdl, const std::string& why) {
    spdlog::info("kafka listener: closing a connection: {}", why);
    st_->connections.erase(hdl);
    self_->close(hdl);
  }

  void on_request(connection_handle hdl, connection& c, kafka::bytes_view frame) {
    kafka::reader r{frame};
    auto h = kafka::decode_request_header(r);
    if (!h)
      return drop(hdl, h.err().message);
    auto body = frame.subspan(frame.size() - r.remaining());
    slot s{hdl, c.id, c.responses.open(), h->correlation_id, h->api_version};
    if (c.responses.in_flight() >= st_->cfg.max_in_flight && !c.halted) {
      c.halted = true;
      self_->halt(hdl);
    }
    if (h->api_key == static_cast<int16_t>(kafka::api_key::api_versions)) {
      auto range = *kafka::find_api(h->api_key);
      bool known = h->api_version >= range.min_version && h->api_version <= range.max_version;
      return respond(s, [&](bytes& out) {
        kafka::encode_api_versions(out, known ? h->api_version : int16_t{0},
                                   known ? kafka::code::none : kafka::code::unsupported_version);
      });
    }
    auto api = kafka::find_api(h->api_key);
    if (!api || h->api_version < api->min_version || h->api_version > api->max_version)
      return drop(hdl, "unsupported api " + std::to_string(h->api_key) + " version "
                         + std::to_string(h->api_version));
    if (auto err = dispatch(static_cast<kafka::api_key>(h->api_key), s, body); !err.ok())
      drop(hdl, err.message);
  }

  // Answers or forwards one request; an error when its body does not parse.
  schema::error dispatch(kafka::api_key key, const slot& s, kafka::bytes_view body) {
    using kafka::api_key;
    auto v = s.version;
    switch (key) {
      case api_key::metadata: {
        auto req = kafka::decode_metadata(body, v);
        if (!req)
          return req.err();
        ask<schema::metadata_response>(metadata_atom_v, schema::encode(*req), s, default_timeout,
          [this, v](bytes& out, schema::result<schema::metadata_response> md) {
            if (!md)
              return false;
            advertise(*md);
            kafka::encode_metadata(out, v, *md);
            return true;
          });
        return {};
      }
      case api_key::produce: {
        auto d = kafka::decode_produce(body, v);
        if (!d)
          return d.err();
        bool silent = d->request.acks == schema::acks::none;
        auto refused = std::move(d->refused);
        if (d->request.partitions.empty()) {
          respond(s, [&](bytes& out) {
            if (!silent)
              kafka::encode_produce(out, v, refused);
          });
          return {};
        }
        auto req = std::move(d->request);
        auto sent = refuse_all(req, {});
        ask<schema::produce_response>(produce_atom_v, schema::encode(req), s,
                                      req.timeout_ms + 30'000,
          [v, silent, refused = std::move(refused), sent = std::move(sent)](
            bytes& out, schema::result<schema::produce_response> r) mutable {
            if (silent)
              return true;
            auto partitions = r ? std::move(r->partitions) : sent;
            if (!r)
              for (auto& p : partitions)
                p.error = r.err();
            partitions.insert(partitions.end(), refused.begin(), refused.end());
            kafka::encode_produce(out, v, partitions);
            return true;
          });
        return {};
      }
      case api_key::fetch:
        return forward<schema::fetch_response>(kafka::decode_fetch(body, v), fetch_atom_v, s,
          [](const auto& req) { return req.max_wait_ms + 30'000; },
          [v](bytes& out, const auto& req, schema::result<schema::fetch_response> r) {
            kafka::encode_fetch(out, v, r ? *r : refuse_all(req, r.err()));
          });
      case api_key::list_offsets:
        return forward<schema::list_offsets_response>(kafka::decode_list_offsets(body, v),
          list_offsets_atom_v, s, default_timeout,
          [v](bytes& out, const auto& req, schema::result<schema::list_offsets_response> r) {
            kafka::encode_list_offsets(out, v, r ? *r : refuse_all(req, r.err()));
          });
      case api_key::find_coordinator: {
        auto group = kafka::decode_find_coordinator(body, v);
        if (!group)
          return group.err();
        // The node forwards every group request to the group's coordinator
        // (actors/coordinator_routing.hpp), so this node coordinates for its clients.
        schema::metadata_response::broker me{st_->cfg.self, st_->cfg.advertised_host,
                                             st_->cfg.port, {}};
        respond(s, [&](bytes& out) { kafka::encode_find_coordinator(out, v, kafka::code::none, me); });
        return {};
      }
      case api_key::join_group: {
        auto req = kafka::decode_join_group(body, v);
        if (!req) {
          if (req.err().code == schema::errc::corrupt_message)
            return req.err();
          schema::join_group_response refused;
          refused.error = req.err();
          respond(s, [&](bytes& out) { kafka::encode_join_group(out, v, refused); });
          return {};
        }
        // A join parks until the rebalance completes, up to the rebalance timeout.
        auto timeout = req->rebalance_timeout_ms + 30'000;
        ask<schema::join_group_response>(join_group_atom_v, schema::encode(*req), s, timeout,
          [v](bytes& out, schema::result<schema::join_group_response> r) {
            kafka::encode_join_group(out, v, answer_or_error(std::move(r)));
            return true;
          });
        return {};
      }
      case api_key::sync_group:
        return forward<schema::sync_group_response>(kafka::decode_sync_group(body, v),
          sync_group_atom_v, s, default_timeout,
          [v](bytes& out, const auto&, schema::result<schema::sync_group_response> r) {
            kafka::encode_sync_group(out, v, answer_or_error(std::move(r)));
          });
      case api_key::heartbeat:
        return forward<schema::heartbeat_response>(kafka::decode_heartbeat(body, v),
          heartbeat_atom_v, s, default_timeout,
          [v](bytes& out, const auto&, schema::result<schema::heartbeat_response> r) {
            kafka::encode_heartbeat(out, v, r ? r->error : r.err());
          });
      case api_key::leave_group:
        return forward<schema::leave_group_response>(kafka::decode_leave_group(body, v),
          leave_group_atom_v, s, default_timeout,
          [v](bytes& out, const auto&, schema::result<schema::leave_group_response> r) {
            kafka::encode_leave_group(out, v, r ? r->error : r.err());
          });
      case api_key::offset_commit:
        return forward<schema::offset_commit_response>(kafka::decode_offset_commit(body, v),
          offset_commit_atom_v, s, default_timeout,
          [v](bytes& out, const auto& req, schema::result<schema::offset_commit_response> r) {
            kafka::encode_offset_commit(out, v, r ? *r : refuse_all(req, r.err()));
          });
      case api_key::offset_fetch:
        return forward<schema::offset_fetch_response>(kafka::decode_offset_fetch(body, v),
          offset_fetch_atom_v, s, default_timeout,
          [v](bytes& out, const auto& req, schema::result<schema::offset_fetch_response> r) {
            kafka::encode_offset_fetch(out, v, req, answer_or_error(std::move(r)));
          });
      case api_key::create_topics: {
        auto d = kafka::decode_create_topics(body, v);
        if (!d)
          return d.err();
        std::vector<std::string> names;
        for (const auto& t : d->request.topics)
          names.push_back(t.name);
        ask<schema::create_topics_response>(create_topics_atom_v, schema::encode(d->request), s,
                                            d->request.timeout_ms + 30'000,
          [v, names, refused = d->refused](bytes& out, schema::result<schema::create_topics_response> r) {
            auto topics = r ? r->topics : refuse_all(names, r.err());
            topics.insert(topics.end(), refused.begin(), refused.end());
            kafka::encode_topic_results(out, v, topics);
            return true;
          });
        return {};
      }
      case api_key::delete_topics:
        return forward<schema::delete_topics_response>(kafka::decode_delete_topics(body, v),
          delete_topics_atom_v, s, [](const auto& req) { return req.timeout_ms + 30'000; },
          [v](bytes& out, const auto& req, schema::result<schema::delete_topics_response> r) {
            kafka::encode_topic_results(out, v, r ? r->topics : refuse_all(req.names, r.err()));
          });
      case api_key::api_versions:
        break; // answered in on_request
    }
    return {schema::errc::invalid_request, "unhandled api"};
  }

  // Decoded `req` goes to the node, with timeout_of(req) ms (a number or a function of the
  // request); `encode(out, req, answer)` writes the response, the node's error in it when the
  // node failed. A malformed `req` is returned (the connection closes).
  template <class Response, class Request, class Atom, class Timeout, class Encode>
  schema::error forward(schema::result<Request> req, Atom atom, const slot& s, Timeout timeout_of,
                        Encode encode) {
    if (!req)
      return req.err();
    int64_t timeout_ms = 0;
    if constexpr (std::is_invocable_v<Timeout, const Request&>)
      timeout_ms = timeout_of(*req);
    else
      timeout_ms = timeout_of;
    auto env = schema::encode(*req);
    ask<Response>(atom, std::move(env), s, timeout_ms,
                  [encode, req = std::move(*req)](bytes& out, schema::result<Response> r) {
                    encode(out, req, std::move(r));
                    return true;
                  });
    return {};
  }

  // Sends `req` to the node and completes `s` with what `encode(out, answer)` writes; an
  // encode that returns false closes the connection (no response can say what failed).
  template <class Response, class Atom, class Encode>
  void ask(Atom atom, schema::envelope req, const slot& s, int64_t timeout_ms, Encode encode) {
    auto shared = std::make_shared<Encode>(std::move(encode));
    self_->request(st_->node, milliseconds(timeout_ms), atom, std::move(req))
      .then(
        [this, s, shared](schema::envelope& e) {
          finish(s, [&](bytes& out) { return (*shared)(out, read_answer<Response>(e)); });
        },
        [this, s, shared](caf::error& err) {
          finish(s, [&](bytes& out) {
            return (*shared)(out, schema::result<Response>{from_caf(err)});
          });
        });
  }

  template <class F>
  void finish(const slot& s, F&& body) {
    bytes out;
    kafka::begin_response(out, s.correlation_id);
    auto header_size = out.size();
    if (!body(out)) {
      if (auto it = st_->connections.find(s.hdl);
          it != st_->connections.end() && it->second.id == s.connection_id)
        drop(s.hdl, "the node could not answer a request");
      return;
    }
    if (out.size() == header_size)
      out.clear(); // no response (Produce with acks=0)
    else
      kafka::finish_response(out);
    complete(s, std::move(out));
  }

  template <class F>
  void respond(const slot& s, F&& body) {
    finish(s, [&](bytes& out) {
      body(out);
      return true;
    });
  }

  void complete(const slot& s, bytes response) {
    auto it = st_->connections.find(s.hdl);
    if (it == st_->connections.end() || it->second.id != s.connection_id)
      return; // the connection closed meanwhile
    auto& c = it->second;
    c.responses.complete(s.seq, std::move(response));
    auto written = c.responses.flush([&](const bytes& b) {
      self_->write(s.hdl, b.size(), b.data());
    });
    if (written > 0)
      self_->flush(s.hdl);
    if (c.halted && c.responses.in_flight() < st_->cfg.max_in_flight / 2 + 1) {
      c.halted = false;
      self_->trigger(s.hdl);
    }
  }

  // Kafka clients must reach each broker at its Kafka listener, not its Sluice port.
  void advertise(schema::metadata_response& md) const {
    for (auto& b : md.brokers) {
      if (b.id == st_->cfg.self) {
        b.host = st_->cfg.advertised_host;
        b.port = st_->cfg.port;
      } else {
        b.port = static_cast<uint16_t>(b.port + st_->cfg.port_offset);
      }
    }
  }

  caf::io::broker* self_;
  std::shared_ptr<listener_state> st_;
};

caf::behavior listener_behavior(caf::io::broker* self, caf::io::doorman_ptr doorman,
                                std::shared_ptr<listener_state> st) {
  self->add_doorman(std::move(doorman));
  auto session = std::make_shared<kafka_session>(self, std::move(st));
  return {
    [session](const caf::io::new_connection_msg& msg) { session->on_accept(msg.handle); },
    [session](const caf::io::new_data_msg& msg) { session->on_data(msg.handle, msg.buf); },
    [session](const caf::io::connection_closed_msg& msg) { session->on_closed(msg.handle); },
    [self](const caf::io::acceptor_closed_msg&) { self->quit(); },
  };
}

} // namespace

schema::result<kafka_listener> spawn_kafka_listener(caf::actor_system& sys, node_actor node,
                                                    kafka_listener_config cfg) {
  auto& mm = sys.middleman();
  auto doorman = mm.backend().new_tcp_doorman(cfg.port, cfg.host.c_str(), true);
  if (!doorman)
    return schema::error{schema::errc::invalid_config,
                         "cannot listen for Kafka clients on " + cfg.host + ":"
                           + std::to_string(cfg.port) + " (address in use or unavailable)"};
  auto ptr = std::move(*doorman);
  cfg.port = ptr->port();
  auto st = std::make_shared<listener_state>();
  st->cfg = cfg;
  st->node = std::move(node);
  auto broker = mm.spawn_broker(listener_behavior, std::move(ptr), std::move(st));
  return kafka_listener{broker, cfg.port};
}

} // namespace sluice::actors
