// sluice group list | describe GROUP | reset-offsets GROUP --topic T --to-...

#include "client/admin.hpp"
#include "tools/sluice/commands.hpp"
#include "tools/sluice/progress.hpp"

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <map>
#include <string>

namespace sluice::cli {

namespace {

int list_groups(client::admin& a) {
  auto groups = a.list_groups();
  if (!groups)
    return fail(groups.err());
  for (auto& g : *groups)
    std::printf("%s\t%s\t%d\n", g.group_id.c_str(), g.state.c_str(), g.members);
  return 0;
}

// A share group (KIP-932): each share-partition's start offset (SPSO: everything below is done),
// end offset (SPEO: nothing from there was delivered yet), the records between them still to
// finish (delivered or not) and the log end, as the group's coordinator last persisted them.
int describe_share_group(client::admin& a, const schema::describe_groups_response::group& g) {
  std::printf("group %s  state %s  type share  share-partitions %zu\n", g.group_id.c_str(), g.state.c_str(),
              g.shares.size());
  std::vector<client::topic_partition> tps;
  for (auto& s : g.shares)
    tps.push_back({s.topic, s.partition});
  auto ends = tps.empty() ? client::result<std::vector<offset>>{std::vector<offset>{}}
                          : a.list_offsets(tps, schema::offset_query::latest);
  for (size_t i = 0; i < g.shares.size(); ++i) {
    auto& s = g.shares[i];
    std::string end = ends ? std::to_string((*ends)[i].value) : "?";
    std::printf("  partition %s/%d  start %lld  end %lld  in_flight %lld  log_end %s\n", s.topic.c_str(),
                s.partition.value, static_cast<long long>(s.start.value), static_cast<long long>(s.end.value),
                static_cast<long long>(s.in_flight), end.c_str());
  }
  if (!ends)
    return fail(ends.err());
  return 0;
}

// Kafka's kafka-consumer-groups --describe, in two parts: the group, then one line per
// partition with a committed offset or an owner.
int describe_group(client::admin& a, const std::string& name) {
  auto g = a.describe_group(name);
  if (!g)
    return fail(g.err());
  if (g->protocol_type == "share")
    return describe_share_group(a, *g);
  std::printf("group %s  state %s  generation %d  protocol %s  leader %s  members %zu\n",
              g->group_id.c_str(), g->state.c_str(), g->generation.value,
              g->protocol.empty() ? "-" : g->protocol.c_str(), g->leader.empty() ? "-" : g->leader.c_str(),
              g->members.size());
  std::map<client::topic_partition, std::string> owner;
  for (auto& m : g->members) {
    std::string parts;
    for (auto& p : m.assignment) {
      owner[{p.topic, p.partition}] = m.member_id;
      parts += (parts.empty() ? "" : ",") + p.topic + "/" + std::to_string(p.partition.value);
    }
    std::printf("  member %s  instance %s  partitions %s\n", m.member_id.c_str(),
                m.group_instance_id ? m.group_instance_id->c_str() : "-", parts.empty() ? "-" : parts.c_str());
  }
  auto committed = a.group_offsets(name);
  if (!committed)
    return fail(committed.err());
  std::map<client::topic_partition, offset> at;
  for (auto& p : *committed)
    at[{p.topic, p.partition}] = p.committed;
  for (auto& [tp, _] : owner)
    at.try_emplace(tp, offset{-1});
  std::vector<client::topic_partition> tps;
  for (auto& [tp, _] : at)
    tps.push_back(tp);
  auto ends = tps.empty() ? client::result<std::vector<offset>>{std::vector<offset>{}}
                          : a.list_offsets(tps, schema::offset_query::latest);
  for (size_t i = 0; i < tps.size(); ++i) {
    auto& tp = tps[i];
    auto c = at[tp];
    std::string end = ends ? std::to_string((*ends)[i].value) : "?";
    std::string lag = ends && c.value >= 0 ? std::to_string((*ends)[i].value - c.value) : "-";
    auto o = owner.find(tp);
    std::printf("  partition %s/%d  committed %s  log_end %s  lag %s  member %s\n", tp.topic.c_str(),
                tp.partition.value, c.value >= 0 ? std::to_string(c.value).c_str() : "-", end.c_str(),
                lag.c_str(), o == owner.end() ? "-" : o->second.c_str());
  }
  if (!ends)
    return fail(ends.err());
  return 0;
}

// Partitions per list-offsets request of a reset.
constexpr size_t reset_chunk_partitions = 64;

int reset_offsets(const cli_options& o, client::admin& a) {
  auto g = a.describe_group(o.name);
  if (g && !g->members.empty())
    return fail("group '" + o.name + "' has " + std::to_string(g->members.size())
                + " member(s) (state " + g->state
                + "): offsets can only be reset while it is inactive; stop its consumers first");
  if (!g && g.err().server != schema::errc::group_id_not_found)
    return fail(g.err());
  auto md = a.describe_topic(o.topic);
  if (!md)
    return fail(md.err());
  std::vector<client::topic_partition> tps;
  for (auto& p : md->partitions)
    tps.push_back({o.topic, p.partition});
  std::vector<std::pair<client::topic_partition, offset>> target;
  // The targets are looked up in chunks (one bar step each) and committed at once, so the
  // group moves all its offsets in one commit however many partitions the topic has.
  client::result<std::vector<offset>> found = std::vector<offset>{};
  std::atomic<uint64_t> resolved{0};
  {
    progress_bar bar{"reset-offsets " + o.name, "partitions", tps.size(), resolved};
    for (size_t at = 0; at < tps.size() && found && o.reset_to != reset_target::offset;
         at += reset_chunk_partitions) {
      std::vector<client::topic_partition> chunk(
        tps.begin() + static_cast<std::ptrdiff_t>(at),
        tps.begin() + static_cast<std::ptrdiff_t>(std::min(tps.size(), at + reset_chunk_partitions)));
      client::result<std::vector<offset>> part = std::vector<offset>{};
      switch (o.reset_to) {
        case reset_target::earliest: part = a.list_offsets(chunk, schema::offset_query::earliest); break;
        case reset_target::latest: part = a.list_offsets(chunk, schema::offset_query::latest); break;
        case reset_target::datetime:
          part = a.list_offsets(chunk, schema::offset_query::by_timestamp, o.reset_timestamp);
          break;
        case reset_target::offset: break;
      }
      if (!part)
        found = part.err();
      else
        found->insert(found->end(), part->begin(), part->end());
      resolved += chunk.size();
    }
  }
  if (!found)
    return fail(found.err());
  for (size_t i = 0; i < md->partitions.size(); ++i) {
    auto& p = md->partitions[i];
    offset to{0};
    if (o.reset_to == reset_target::offset)
      to = offset{std::clamp(o.reset_offset, p.log_start.value, p.log_end.value)};
    else if (o.reset_to == reset_target::datetime && (*found)[i].value < 0)
      to = p.log_end; // nothing at or after the time: the end, as Kafka does
    else
      to = (*found)[i];
    target.push_back({tps[i], to});
  }
  if (!o.dry_run)
    if (auto st = a.commit_group_offsets(o.name, target); !st)
      return fail(st.err());
  for (auto& [tp, off] : target)
    std::printf("%s\t%s/%d\t%lld\n", o.name.c_str(), tp.topic.c_str(), tp.partition.value,
                static_cast<long long>(off.value));
  return 0;
}

} // namespace

int run_group(const cli_options& o, const conn_ptr& conn) {
  client::admin a{conn};
  switch (o.cmd) {
    case command::group_list: return list_groups(a);
    case command::group_describe: return describe_group(a, o.name);
    case command::group_reset_offsets: return reset_offsets(o, a);
    default: return fail("not a group command");
  }
}

} // namespace sluice::cli
