/* The `cores` option: which CPUs the shards are pinned to. */
#ifndef TESSERA_CPU_LIST_H
#define TESSERA_CPU_LIST_H

#define CPU_LIST_MAX 256

/* Parse "0,2-5" into cpus[]; an empty list means the CPUs this process may
 * run on. Returns how many, or -EINVAL with the reason in err. */
int cpu_list_resolve(const char *list, int *cpus, int max, char *err, unsigned errlen);

#endif
