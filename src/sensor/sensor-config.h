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

#endif
