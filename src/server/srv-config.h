/*
 * srv-config.h - every configuration key of otasuked (and of otasukectl,
 * which reads the same file), in one table, documented in
 * docs/otasuked.yaml.md, which a test keeps in step with --dump-config.
 */
#ifndef OT_SRV_CONFIG_H
#define OT_SRV_CONFIG_H

#include <stddef.h>
#include "../lib/config.h"

#define SRV_DEFAULT_CONFIG "/etc/otasuke/otasuked.yaml"

extern const struct cfg_key srv_cfg_keys[];
extern const size_t srv_cfg_nkeys;

#endif
