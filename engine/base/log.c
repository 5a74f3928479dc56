#include "base/log.h"

#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

void log_msg(enum log_level level, const char *fmt, ...)
{
	if ((long long)level < CFG(loglevel))
		return;
	char line[1024];
	struct timeval tv;
	struct tm tm;
	gettimeofday(&tv, NULL);
	localtime_r(&tv.tv_sec, &tm);
	int n = snprintf(line, sizeof(line), "%d:M ", (int)getpid());
	n += (int)strftime(line + n, sizeof(line) - (size_t)n, "%d %b %Y %H:%M:%S", &tm);
	n += snprintf(line + n, sizeof(line) - (size_t)n, ".%03d %c ", (int)(tv.tv_usec / 1000),
		      ".-*#"[level > LOG_WARNING ? LOG_WARNING : level]);
	va_list ap;
	va_start(ap, fmt);
	int m = vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
	va_end(ap);
	n = (m < 0 || n + m >= (int)sizeof(line) - 1) ? (int)sizeof(line) - 2 : n + m;
	line[n++] = '\n';
	const char *path = CFG(logfile);
	int fd = 2;
	if (path && path[0])
		fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
		fd = 2;
	ssize_t ignored = write(fd, line, (size_t)n);
	(void)ignored;
	if (fd != 2)
		close(fd);
}
