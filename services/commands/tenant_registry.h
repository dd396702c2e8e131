#ifndef FRIENDGATE_SERVICES_COMMANDS_TENANT_REGISTRY_H_
#define FRIENDGATE_SERVICES_COMMANDS_TENANT_REGISTRY_H_

#include <map>
#include <memory>
#include <string>

#include "services/commands/friend_deleter.h"

namespace friendgate::commands {

struct Tenant {
  std::shared_ptr<FriendDeleter> deleter;
  // Friendships on this tenant are mutual (MutualDeleteEnforcer acts).
  bool mutual_delete = false;
};

// Tenant name (FriendshipEvent.tenant) -> its vendor client. Built once from
// the config, immutable afterwards, so lookups need no lock.
class TenantRegistry {
 public:
  explicit TenantRegistry(std::map<std::string, Tenant> tenants) : tenants_(std::move(tenants)) {}

  const Tenant* Find(const std::string& name) const {
    auto it = tenants_.find(name);
    return it == tenants_.end() ? nullptr : &it->second;
  }
  const std::map<std::string, Tenant>& all() const { return tenants_; }

 private:
  const std::map<std::string, Tenant> tenants_;
};

}  // namespace friendgate::commands

#endif  // FRIENDGATE_SERVICES_COMMANDS_TENANT_REGISTRY_H_
