const dayNames = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
const monthNames = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
];
const shortcuts: Record<string, string> = {
  '@yearly': 'Once a year, at midnight on January 1',
  '@annually': 'Once a year, at midnight on January 1',
  '@monthly': 'At midnight on the first day of every month',
  '@weekly': 'At midnight every Sunday',
  '@daily': 'Every day at midnight',
  '@midnight': 'Every day at midnight',
  '@hourly': 'At the start of every hour',
};

function pad(value: string): string {
  return value.padStart(2, '0');
}

function listOf(field: string, names?: string[], offset = 0): string | null {
  const name = (value: string) => {
    if (!names) return value;
    const index = Number(value) - offset;
    return names[index === 7 ? 0 : index] ?? value;
  };
  if (/^\d+$/.test(field)) return name(field);
  const range = field.match(/^(\d+)-(\d+)$/);
  if (range?.[1] && range[2]) return `${name(range[1])} through ${name(range[2])}`;
  if (/^\d+(,\d+)+$/.test(field)) {
    const parts = field.split(',').map(name);
    return `${parts.slice(0, -1).join(', ')} and ${parts.at(-1)}`;
  }
  return null;
}

/**
 * Says a five-field cron expression (or six, with seconds) in words for the common shapes; null when
 * it is beyond a short sentence (the next ticks still show what it means).
 */
export function describeCron(expression: string): string | null {
  const text = expression.trim();
  if (shortcuts[text]) return shortcuts[text];
  let fields = text.split(/\s+/);
  if (fields.length === 6) {
    if (fields[0] !== '0') return null;
    fields = fields.slice(1);
  }
  if (fields.length !== 5) return null;
  const [minute = '', hour = '', dayOfMonth = '', month = '', dayOfWeek = ''] = fields;

  let time: string | null = null;
  if (minute === '*' && hour === '*') time = 'Every minute';
  else if (/^\*\/\d+$/.test(minute) && hour === '*') time = `Every ${minute.slice(2)} minutes`;
  else if (/^\d+$/.test(minute) && hour === '*')
    time = minute === '0' ? 'At the start of every hour' : `At minute ${minute} of every hour`;
  else if (/^\d+$/.test(minute) && /^\*\/\d+$/.test(hour))
    time = `At minute ${minute} every ${hour.slice(2)} hours`;
  else if (/^\d+$/.test(minute) && /^\d+$/.test(hour)) time = `At ${pad(hour)}:${pad(minute)}`;
  else if (/^\d+$/.test(minute) && /^\d+(,\d+)+$/.test(hour))
    time = `At ${hour
      .split(',')
      .map((value) => `${pad(value)}:${pad(minute)}`)
      .join(', ')}`;
  if (time === null) return null;

  const parts = [time];
  if (dayOfMonth !== '*') {
    const days = listOf(dayOfMonth);
    if (days === null) return null;
    parts.push(`on day ${days} of the month`);
  }
  if (month !== '*') {
    const months = listOf(month, monthNames, 1);
    if (months === null) return null;
    parts.push(`in ${months}`);
  }
  if (dayOfWeek !== '*') {
    if (dayOfWeek === '1-5') parts.push('on weekdays');
    else if (dayOfWeek === '0,6' || dayOfWeek === '6,0') parts.push('on weekends');
    else {
      const days = listOf(dayOfWeek, dayNames);
      if (days === null) return null;
      parts.push(`on ${days}`);
    }
  } else if (dayOfMonth === '*' && month === '*' && /^\d/.test(hour) && !hour.includes('/')) {
    parts.push('every day');
  }
  return parts.join(' ');
}
