#include "client/inspect_report.hpp"

#include <algorithm>
#include <charconv>
#include <string_view>

namespace sluice::client {

namespace {

std::string ids(const std::vector<node_id>& v) {
  if (v.empty())
    return "-";
  std::string out;
  for (auto id : v)
    out += (out.empty() ? "" : ",") + std::to_string(id.value);
  return out;
}

// "-" for the -1 that stands for "unknown".
std::string num(int64_t v) { return v < 0 ? std::string{"-"} : std::to_string(v); }

std::string header(const node_inspection& n) {
  auto id = n.answer ? n.answer->node : n.target.id;
  std::string out = "node " + (id.value < 0 ? std::string{"?"} : std::to_string(id.value)) + "  "
                    + n.target.address.to_string();
  if (!n.target.note.empty())
    out += "  " + n.target.note;
  return out;
}

// The tree's actors are its lines; each says "(mailbox N)" (actors/state_tree.hpp).
std::pair<size_t, int64_t> count_actors(std::string_view tree) {
  size_t actors = 0;
  int64_t queued = 0;
  size_t at = 0;
  while (at < tree.size()) {
    auto end = tree.find('\n', at);
    auto line = tree.substr(at, end == std::string_view::npos ? std::string_view::npos : end - at);
    ++actors;
    if (auto m = line.find("(mailbox "); m != std::string_view::npos) {
      int64_t n = 0;
      auto digits = line.substr(m + 9);
      if (std::from_chars(digits.data(), digits.data() + digits.size(), n).ec == std::errc{})
        queued += n;
    }
    if (end == std::string_view::npos)
      break;
    at = end + 1;
  }
  return {actors, queued};
}

void indent_into(std::string& out, std::string_view text, std::string_view pad) {
  size_t at = 0;
  while (at < text.size()) {
    auto end = text.find('\n', at);
    if (end == std::string_view::npos)
      end = text.size();
    out.append(pad).append(text.substr(at, end - at)).append("\n");
    at = end + 1;
  }
}

void render_tree(std::string& out, const std::string& tree) {
  auto [actors, queued] = count_actors(tree);
  out += "  actors " + std::to_string(actors) + "  queued " + std::to_string(queued) + "\n";
  indent_into(out, tree, "    ");
}

void render_follower(std::string& out, const schema::follower_status& f) {
  out += "      follower " + std::to_string(f.id.value) + "  offset " + num(f.fetch_offset.value)
         + "  lag " + num(f.lag_records) + "  caught_up " + std::to_string(f.caught_up_ms_ago)
         + "ms ago" + (f.in_isr ? "" : "  (not in isr)") + "\n";
}

void render_replica(std::string& out, const schema::replica_status& r) {
  auto name = r.topic + "-" + (r.partition.value < 0 ? "?" : std::to_string(r.partition.value));
  if (!r.error.empty()) {
    out += "    " + name + "  error: " + r.error + "\n";
    return;
  }
  auto role = r.role;
  role.resize(std::max<size_t>(role.size(), 8), ' ');
  out += "    " + name + "  " + role + "  leader " + num(r.leader.value) + "  epoch "
         + num(r.epoch.value) + "  replicas " + ids(r.replicas) + "  isr " + ids(r.isr) + "  log "
         + num(r.log_start.value) + ".." + num(r.log_end.value) + "  hw "
         + num(r.high_watermark.value) + "\n";
  for (auto& f : r.followers)
    render_follower(out, f);
}

void render_replicas(std::string& out, const std::vector<schema::replica_status>& replicas) {
  size_t leading = 0, following = 0;
  for (auto& r : replicas) {
    leading += r.role == "leader";
    following += r.role == "follower";
  }
  out += "  replicas " + std::to_string(replicas.size()) + "  leader " + std::to_string(leading)
         + "  follower " + std::to_string(following) + "\n";
  for (auto& r : replicas)
    render_replica(out, r);
}

void render_group(std::string& out, const schema::group_status& g) {
  if (!g.error.empty()) {
    out += "    " + (g.group_id.empty() ? std::string{"?"} : g.group_id) + "  error: " + g.error + "\n";
    return;
  }
  out += "    " + g.group_id + "  " + g.state + "  generation " + num(g.generation.value)
         + "  protocol " + (g.protocol.empty() ? "-" : g.protocol) + "  members "
         + std::to_string(g.members.size()) + "  (__consumer_offsets-"
         + std::to_string(g.offsets_partition.value) + ")\n";
  for (auto& m : g.members)
    out += "      member " + m.member_id
           + (m.group_instance_id.empty() ? "" : "  instance " + m.group_instance_id)
           + (m.member_id == g.leader ? "  leader" : "") + "  partitions "
           + std::to_string(m.partitions) + "\n";
}

} // namespace

std::string render_node(const node_inspection& n, const report_options& opts) {
  if (!n.answer)
    return header(n) + "  unreachable: " + n.answer.err().to_string() + "\n";
  auto& a = *n.answer;
  auto out = header(n) + "\n";
  render_tree(out, a.tree);
  if (opts.tree_only)
    return out;
  render_replicas(out, a.replicas);
  out += "  groups " + std::to_string(a.groups.size()) + "\n";
  for (auto& g : a.groups)
    render_group(out, g);
  return out;
}

std::string render_tally(const std::vector<node_inspection>& nodes) {
  size_t answered = 0;
  for (auto& n : nodes)
    answered += n.answer.ok();
  auto count = nodes.size();
  return std::to_string(count) + (count == 1 ? " node  " : " nodes  ") + std::to_string(answered)
         + " answered  " + std::to_string(count - answered) + " unreachable\n";
}

} // namespace sluice::client
