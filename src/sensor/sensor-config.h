/*
 * sensor-config.h - every configuration key of otasuke-sensor, in one table
 * (documented in docs/otasuke-sensor.yaml.md, which a test keeps in step).
 */
#ifndef OT_SENSOR_CONFIG_H
#define OT_SENSOR_CONFIG_H

#include <stddef.h>
#include "../lib/config.h"

extern const struct cfg_key sensor_cfg_keys[];
extern const size_t sensor_cfg_nkeys;

/* The configuration: the file at path (NULL: none), then each "KEY=VALUE"
 * of sets (--set) over it.  *problems counts what was wrong (each logged);
 * NULL when memory ran out. */
struct ot_config *sensor_config_load(const char *path, const char *const *sets, int nsets,
				     int *problems);

#endif
