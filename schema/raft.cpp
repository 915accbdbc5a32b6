#include "schema/raft.hpp"

#include "schema/framing.hpp"
#include "schema/raft.capnp.h"

namespace sluice::schema {

using namespace framing;

namespace {

using wire_msg = wire::RaftMessage;
using wire_payload = wire::RaftMessage::Payload;

template <class Builder, class Vote>
void set_vote_request(Builder b, const Vote& v) {
  b.setTerm(v.term.value);
  b.setLastIndex(v.last_index.value);
  b.setLastTerm(v.last_term.value);
}

template <class Vote, class Reader>
Vote get_vote_request(Reader r) {
  return Vote{raft_term{r.getTerm()}, log_index{r.getLastIndex()}, raft_term{r.getLastTerm()}};
}

template <class Builder, class Vote>
void set_vote_response(Builder b, const Vote& v) {
  b.setTerm(v.term.value);
  b.setGranted(v.granted);
}

template <class Vote, class Reader>
Vote get_vote_response(Reader r) {
  return Vote{raft_term{r.getTerm()}, r.getGranted()};
}

void set_append(wire_msg::AppendRequest::Builder b, const append_request& a) {
  b.setTerm(a.term.value);
  b.setLeader(a.leader.value);
  b.setPrevIndex(a.prev_index.value);
  b.setPrevTerm(a.prev_term.value);
  b.setLeaderCommit(a.leader_commit.value);
  auto es = b.initEntries(list_size(a.entries.size()));
  for (unsigned i = 0; i < es.size(); ++i) {
    auto& e = a.entries[i];
    es[i].setTerm(e.term.value);
    es[i].setIndex(e.index.value);
    es[i].setCommand({reinterpret_cast<const kj::byte*>(e.command.data()), e.command.size()});
  }
}

append_request get_append(wire_msg::AppendRequest::Reader r) {
  append_request a{raft_term{r.getTerm()}, node_id{r.getLeader()}, log_index{r.getPrevIndex()},
                   raft_term{r.getPrevTerm()}, {}, log_index{r.getLeaderCommit()}};
  auto es = r.getEntries();
  a.entries.reserve(es.size());
  for (auto e : es) {
    auto c = e.getCommand();
    a.entries.push_back({raft_term{e.getTerm()}, log_index{e.getIndex()},
                         std::string{reinterpret_cast<const char*>(c.begin()), c.size()}});
  }
  return a;
}

void set_append_response(wire_msg::AppendResponse::Builder b, const append_response& a) {
  b.setTerm(a.term.value);
  b.setSuccess(a.success);
  b.setMatchIndex(a.match_index.value);
  b.setRejectedIndex(a.rejected_index.value);
  b.setHintIndex(a.hint_index.value);
  b.setHintTerm(a.hint_term.value);
}

append_response get_append_response(wire_msg::AppendResponse::Reader r) {
  return {raft_term{r.getTerm()},        r.getSuccess(),          log_index{r.getMatchIndex()},
          log_index{r.getRejectedIndex()}, log_index{r.getHintIndex()}, raft_term{r.getHintTerm()}};
}

void set_install_snapshot(wire_msg::InstallSnapshotRequest::Builder b,
                          const install_snapshot_request& m) {
  b.setTerm(m.term.value);
  b.setLeader(m.leader.value);
  auto s = b.initSnapshot();
  s.setIndex(m.snapshot.index.value);
  s.setTerm(m.snapshot.term.value);
  s.setData({reinterpret_cast<const kj::byte*>(m.snapshot.data.data()), m.snapshot.data.size()});
}

install_snapshot_request get_install_snapshot(wire_msg::InstallSnapshotRequest::Reader r) {
  auto s = r.getSnapshot();
  auto d = s.getData();
  return {raft_term{r.getTerm()}, node_id{r.getLeader()},
          raft_snapshot{log_index{s.getIndex()}, raft_term{s.getTerm()},
                        std::string{reinterpret_cast<const char*>(d.begin()), d.size()}}};
}

void set_install_snapshot_response(wire_msg::InstallSnapshotResponse::Builder b,
                                   const install_snapshot_response& m) {
  b.setTerm(m.term.value);
  b.setMatchIndex(m.match_index.value);
}

install_snapshot_response get_install_snapshot_response(
  wire_msg::InstallSnapshotResponse::Reader r) {
  return {raft_term{r.getTerm()}, log_index{r.getMatchIndex()}};
}

} // namespace

envelope encode(const raft_message& x) {
  size_t expected = 96;
  if (auto* a = std::get_if<append_request>(&x.payload))
    for (auto& e : a->entries)
      expected += 32 + e.command.size();
  if (auto* m = std::get_if<install_snapshot_request>(&x.payload))
    expected += 32 + m->snapshot.data.size();
  return write<wire_msg>(x.kind, expected, [&](wire_msg::Builder b) {
    b.setFrom(x.from.value);
    b.setTo(x.to.value);
    auto p = b.initPayload();
    std::visit(
      [&](auto& m) {
        using T = std::decay_t<decltype(m)>;
        if constexpr (std::is_same_v<T, pre_vote_request>)
          set_vote_request(p.initPreVoteRequest(), m);
        else if constexpr (std::is_same_v<T, pre_vote_response>)
          set_vote_response(p.initPreVoteResponse(), m);
        else if constexpr (std::is_same_v<T, vote_request>)
          set_vote_request(p.initVoteRequest(), m);
        else if constexpr (std::is_same_v<T, vote_response>)
          set_vote_response(p.initVoteResponse(), m);
        else if constexpr (std::is_same_v<T, append_request>)
          set_append(p.initAppendRequest(), m);
        else if constexpr (std::is_same_v<T, append_response>)
          set_append_response(p.initAppendResponse(), m);
        else if constexpr (std::is_same_v<T, install_snapshot_request>)
          set_install_snapshot(p.initInstallSnapshotRequest(), m);
        else
          set_install_snapshot_response(p.initInstallSnapshotResponse(), m);
      },
      x.payload);
  });
}

template <>
result<raft_message> decode_bytes<raft_message>(std::span<const char> bytes) {
  return read<wire_msg, raft_message>(bytes, [](wire_msg::Reader r) -> result<raft_message> {
    raft_message x{node_id{r.getFrom()}, node_id{r.getTo()}, {}};
    auto p = r.getPayload();
    switch (p.which()) {
      case wire_payload::PRE_VOTE_REQUEST:
        x.payload = get_vote_request<pre_vote_request>(p.getPreVoteRequest());
        return x;
      case wire_payload::PRE_VOTE_RESPONSE:
        x.payload = get_vote_response<pre_vote_response>(p.getPreVoteResponse());
        return x;
      case wire_payload::VOTE_REQUEST:
        x.payload = get_vote_request<vote_request>(p.getVoteRequest());
        return x;
      case wire_payload::VOTE_RESPONSE:
        x.payload = get_vote_response<vote_response>(p.getVoteResponse());
        return x;
      case wire_payload::APPEND_REQUEST:
        x.payload = get_append(p.getAppendRequest());
        return x;
      case wire_payload::APPEND_RESPONSE:
        x.payload = get_append_response(p.getAppendResponse());
        return x;
      case wire_payload::INSTALL_SNAPSHOT_REQUEST:
        x.payload = get_install_snapshot(p.getInstallSnapshotRequest());
        return x;
      case wire_payload::INSTALL_SNAPSHOT_RESPONSE:
        x.payload = get_install_snapshot_response(p.getInstallSnapshotResponse());
        return x;
    }
    return invalid("unknown raft message " + std::to_string(static_cast<uint16_t>(p.which())));
  });
}

} // namespace sluice::schema
