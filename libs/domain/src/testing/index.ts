export * from './builders';
export * from './scenario';
